/** `flowscope probe` as a user runs it: exit codes, formats, live table, Ctrl-C (loopback only). */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, Responder, ROOT, type ProbeJson } from './netns'

const reason = existsSync(`${ROOT}/out/main/probe.js`)
  ? null
  : 'not built: run `npm run build` first'
if (reason) console.warn(`skipping flowscope probe CLI tests: ${reason}`)
let hasScript = true
try {
  execFileSync('script', ['--version'], { stdio: 'ignore' })
} catch {
  hasScript = false
  console.warn(
    'skipping the live-table test: util-linux `script` (to fake a terminal) is not installed',
  )
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI, 'probe', ...args], { encoding: 'utf8' })

describe.skipIf(reason !== null)('flowscope probe', () => {
  let echo: Responder
  let target = ''
  beforeAll(async () => {
    echo = new Responder([
      'udp-echo',
      '--host',
      '127.0.0.1',
      '--delay-min',
      '1',
      '--delay-max',
      '2',
    ])
    target = `udp://127.0.0.1:${await echo.ready()}`
  })
  afterAll(() => echo.kill())

  it.each([
    ['bogus'],
    ['tcp://h'],
    ['udp://h:7', '--format', 'xml'],
    ['udp://h:7', '--count', '0'],
    ['--nope'],
  ])('rejects %j with one line and exit 2', (...args) => {
    const r = cli(args)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^flowscope: /)
  })

  it('prints csv with a header and one row per target; unreachable is 100 % loss, exit 0', () => {
    const r = cli([
      target,
      'tcp://127.0.0.1:1',
      '--count',
      '3',
      '--interval',
      '20',
      '--timeout',
      '300',
      '--format',
      'csv',
    ])
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]!.startsWith('target,kind,sent,received,loss_pct,rtt_min_ms,')).toBe(true)
    expect(lines[1]!.startsWith(`${target},udp,3,3,0,`)).toBe(true)
    expect(lines[2]!.startsWith('tcp://127.0.0.1:1,tcp,3,0,100,')).toBe(true)
  })

  it('measures tcp:// connect time to a listening port', async () => {
    const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [
        CLI,
        'probe',
        `tcp://127.0.0.1:${port}`,
        '--count',
        '5',
        '--interval',
        '20',
        '--format',
        'json',
      ])
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.on('close', (code) => resolve({ code, out }))
    })
    server.close()
    expect(r.code).toBe(0)
    const [j] = JSON.parse(r.out) as ProbeJson[]
    expect(j).toMatchObject({ kind: 'tcp', sent: 5, received: 5, loss_pct: 0 })
    expect(j!.rtt_ms.max!).toBeLessThan(100) // a loopback handshake
    expect(j!.phases_ms).toBeUndefined()
  })

  it('prints the final table once, without cursor movement, when stdout is not a terminal', () => {
    const r = cli([target, '--count', '3', '--interval', '20'])
    expect(r.status).toBe(0)
    expect(r.stdout).not.toContain('\x1b[')
    expect(r.stdout.split('\n')[0]).toMatch(/^TARGET\s+LOSS%\s+SNT\s+RCV/)
    expect(r.stdout).toMatch(new RegExp(`${target.replace(/[.]/g, '\\.')}\\s+0\\.0\\s+3\\s+3`))
  })

  it.skipIf(!hasScript)('redraws the table in place on a terminal, like mtr', () => {
    const out = execFileSync(
      'script',
      ['-qec', `${process.execPath} ${CLI} probe ${target} --count 4 --interval 300`, '/dev/null'],
      { encoding: 'utf8' },
    )
    expect(out.split('\x1b[2A\x1b[J').length - 1).toBeGreaterThanOrEqual(3)
    expect(out).toMatch(/\s0\.0\s+4\s+4\s/)
  })

  it('ends early on Ctrl-C (SIGINT) and prints what it measured', async () => {
    const child = spawn(process.execPath, [
      CLI,
      'probe',
      target,
      '--count',
      '100000',
      '--interval',
      '10',
      '--format',
      'json',
    ])
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    await new Promise((r) => setTimeout(r, 1500))
    child.kill('SIGINT')
    const code = await new Promise((r) => child.on('close', r))
    expect(code).toBe(0)
    const [r] = JSON.parse(stdout) as ProbeJson[]
    expect(r!.sent).toBeGreaterThan(10)
    expect(r!.sent).toBeLessThan(1000)
    expect(r!.received).toBe(r!.sent)
  })
})
