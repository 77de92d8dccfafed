/**
 * Flowscope's export into a real collector, nfdump's nfcapd, on loopback (root + mkpcap.sh,
 * tshark, nfcapd/nfdump, softflowd; skipped with the reason otherwise):
 * - `flowscope analyze FILE --export ipfix://` and `netflow9://`: nfdump's totals per 5-tuple
 *   and direction equal the packets tshark counts and the IP-layer bytes it sums (ip.len,
 *   ipv6.plen + 40), and nfcapd reports no sequence errors;
 * - the same capture exported by `softflowd -r` into the same collector, printed side by side;
 * - an active timeout of 1 s splits the long conversations into several records that still sum
 *   to the same totals.
 */
import { spawnSync, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../electron/cli/main'
import { collect, compare, sum, tsharkTotals, type Totals } from './helpers'

const root = resolve(__dirname, '../../..')
// The shared tools sit beside the main checkout (../shared) or beside the worktrees (../../shared).
const mkpcap =
  ['../shared/tools/mkpcap.sh', '../../shared/tools/mkpcap.sh']
    .map((p) => resolve(root, p))
    .find((p) => existsSync(p)) ?? resolve(root, '../shared/tools/mkpcap.sh')

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'not root (mkpcap.sh needs network namespaces)'
  for (const tool of ['tshark', 'tcpdump', 'iperf3', 'nfcapd', 'nfdump', 'softflowd']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not installed`
  }
  if (!existsSync(mkpcap)) return `${mkpcap} not found`
  return null
}
const skipReason = missing()
if (skipReason) console.warn(`flowexport/nfcapd.test.ts skipped: ${skipReason}`)

async function analyze(...args: string[]): Promise<string> {
  const err = new PassThrough()
  let stderr = ''
  err.on('data', (d) => (stderr += d))
  const code = await run(['analyze', ...args, '--by', 'protocol'], {
    stdout: new PassThrough(),
    stderr: err,
    env: {},
    signal: new AbortController().signal,
  })
  expect(code, stderr).toBe(0)
  return stderr
}

describe.skipIf(skipReason !== null)('export into nfcapd', () => {
  let dir = ''
  let pcap = ''
  let ref: Totals = new Map()
  const basePort = 21000 + (process.pid % 2000) * 4
  const results: Record<string, Totals> = {}

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fsd-flowexport-'))
    pcap = join(dir, 'mk.pcap')
    execFileSync('bash', [mkpcap, pcap, '4', '50M', '128'], { stdio: 'ignore' })
    ref = tshark(pcap)
  }, 120_000)
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  const tshark = tsharkTotals

  for (const [i, scheme] of (['ipfix', 'netflow9'] as const).entries()) {
    it(`${scheme}: nfdump totals per 5-tuple and direction equal tshark's`, async () => {
      const port = basePort + i
      let stderr = ''
      const { totals, log } = await collect(dir, port, async () => {
        stderr = await analyze(pcap, '--export', `${scheme}://127.0.0.1:${port}`)
      })
      expect(stderr).toMatch(/0 send errors, 0 dropped/)
      expect(log).toMatch(/Sequence Errors: 0/)
      compare(totals, ref)
      const s = sum(totals)
      console.log(
        `${scheme}: nfdump ${totals.size} directions, ${s.p} packets, ${s.b} bytes; tshark ${ref.size} directions, ${sum(ref).p} packets, ${sum(ref).b} bytes`,
      )
      results[scheme] = totals
    }, 60_000)
  }

  it('an active timeout of 1 s splits long conversations; the records sum to the same totals', async () => {
    const port = basePort + 2
    const { totals } = await collect(dir, port, async () => {
      await analyze(pcap, '--export', `ipfix://127.0.0.1:${port}`, '--export-active-timeout', '1')
    })
    compare(totals, ref)
    const long = [...totals.values()].filter((v) => v.records >= 3)
    expect(long.length).toBeGreaterThanOrEqual(5) // 4 iperf TCP streams and the UDP stream, at least
    console.log(
      `active timeout 1 s: ${sum(totals).r} records (${long.length} directions split in 3 or more) vs ${totals.size} directions`,
    )
  }, 60_000)

  it('softflowd -r into the same collector, side by side', async () => {
    const port = basePort + 3
    const { totals: soft } = await collect(dir, port, async () => {
      // No -p / -c: with a control socket softflowd -r waits for commands after the file.
      execFileSync(
        'softflowd',
        [
          '-r',
          pcap,
          '-n',
          `127.0.0.1:${port}`,
          '-v',
          '10',
          '-6',
          '-d',
          '-t',
          'maxlife=60',
          '-t',
          'general=15',
          '-t',
          'tcp=15',
          '-t',
          'udp=15',
          '-t',
          'icmp=15',
        ],
        { stdio: 'ignore', timeout: 60_000 },
      )
    })
    const ours = results.ipfix ?? new Map()
    const rows = [...ref].sort((a, b) => b[1].bytes - a[1].bytes)
    let agree = 0
    const lines = [
      `${'direction (proto|src|sport|dst|dport)'.padEnd(52)} ${'tshark pkts/bytes'.padStart(22)} ${'flowscope'.padStart(22)} ${'softflowd'.padStart(22)}`,
    ]
    for (const [k, v] of rows) {
      const o = ours.get(k)
      const s = soft.get(k)
      if (s && s.packets === v.packets && s.bytes === v.bytes) agree++
      if (lines.length <= 15) {
        const f = (x?: { packets: number; bytes: number }) =>
          (x ? `${x.packets}/${x.bytes}` : '-').padStart(22)
        lines.push(`${k.padEnd(52)} ${f(v)} ${f(o)} ${f(s)}`)
      }
    }
    const t = sum(ref)
    const so = sum(soft)
    const ou = sum(ours)
    lines.push(
      `${'TOTAL'.padEnd(52)} ${`${t.p}/${t.b}`.padStart(22)} ${`${ou.p}/${ou.b}`.padStart(22)} ${`${so.p}/${so.b}`.padStart(22)}`,
    )
    lines.push(
      `directions: tshark ${ref.size}, flowscope ${ours.size} (records ${ou.r}), softflowd ${soft.size} (records ${so.r}); softflowd equal to tshark on ${agree} of ${ref.size}`,
    )
    console.log(lines.join('\n'))
    expect(soft.size).toBeGreaterThan(0)
  }, 60_000)
})
