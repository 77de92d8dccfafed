import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { InterfaceInfo } from '../../../common/contract'
import { run } from '../../../electron/cli/main'
import { version } from '../../../package.json'

async function cli(...argv: string[]) {
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (d) => (stdout += d))
  err.on('data', (d) => (stderr += d))
  const code = await run(argv, {
    stdout: out,
    stderr: err,
    env: {},
    signal: new AbortController().signal,
  })
  return { code, stdout, stderr }
}

describe('flowscope CLI', () => {
  it('prints help and version', async () => {
    const help = await cli('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/interfaces\s+list network interfaces/)
    expect(help.stdout).toMatch(/serve\s+/)
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` })
    expect((await cli('serve', '--help')).stdout).toMatch(/--port PORT/)
  })

  it('rejects unknown commands and bad options with one line and exit 2', async () => {
    for (const argv of [
      ['frobnicate'],
      ['--frob'],
      ['interfaces', '--bogus'],
      ['interfaces', '--format', 'xml'],
      ['serve', '--port', '70000'],
      ['serve', '--port', 'abc'],
      ['interfaces', 'extra'],
    ]) {
      const r = await cli(...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^flowscope: /)
    }
  })

  it('lists interfaces as JSON that matches the contract', async () => {
    const r = await cli('interfaces', '--format', 'json')
    expect(r.code).toBe(0)
    const list = InterfaceInfo.array().parse(JSON.parse(r.stdout))
    expect(list.map((i) => i.name)).toContain('lo')
    const lo = list.find((i) => i.name === 'lo')!
    expect(lo.addresses.map((a) => a.address)).toContain('127.0.0.1')
    expect(lo.mtu).toBeGreaterThan(0)
  })
})
