/**
 * icmp:// against a namespace peer, side by side with iputils ping in the same run.
 *
 * The peer's kernel echo is switched off and a user-space responder answers after 10 ms (this
 * kernel has no sch_netem for `tc ... netem delay`), so both tools see ~10 ms. Tolerance: ping
 * and flowscope use the same kernel receive timestamps and a user-space send time, and probe
 * the same responder at the same time, so their mean RTTs agree within 0.5 ms; both are within
 * 10 ms − 0.05 .. 10 ms + 3 ms (responder wake-up on a shared machine).
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, NsPair, Responder, ROOT, netnsUnavailable, type ProbeJson } from './netns'

const built =
  existsSync(`${ROOT}/out/main/probe.js`) &&
  existsSync(`${ROOT}/native/icmp/build/Release/fsp_icmp.node`)
let reason = netnsUnavailable() ?? (built ? null : 'not built: run `npm run build` first')
if (!reason) {
  try {
    execFileSync('ping', ['-V'], { stdio: 'ignore' })
  } catch {
    reason = 'iputils ping is not installed'
  }
}
if (reason) console.warn(`skipping icmp probe tests: ${reason}`)

function run(
  cmd: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** iputils' summary: "rtt min/avg/max/mdev = 10.081/10.139/10.246/0.041 ms". */
function pingAvg(out: string): number {
  const m = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(out)
  if (!m) throw new Error(`no rtt summary in ping output: ${out}`)
  return Number(m[1])
}

describe.skipIf(reason !== null)('icmp:// to a namespace peer', () => {
  const ns = new NsPair()
  let responder: Responder | null = null
  beforeAll(async () => {
    ns.create()
    ns.run(ns.a, ['sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1'])
    responder = new Responder(['icmp-echo', '--delay-ms', '10'], ns.a)
    await responder.ready()
  })
  afterAll(() => {
    responder?.kill()
    ns.destroy()
  })

  const fs = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(['ip', 'netns', 'exec', ns.b, process.execPath, CLI, 'probe', ...args], env)

  it('agrees with iputils ping run beside it (raw socket)', async () => {
    const [ping, ours] = await Promise.all([
      run([
        'ip',
        'netns',
        'exec',
        ns.b,
        'ping',
        '-n',
        '-q',
        '-c',
        '40',
        '-i',
        '0.05',
        '-W',
        '1',
        ns.addrA,
      ]),
      fs([
        `icmp://${ns.addrA}`,
        '--count',
        '40',
        '--interval',
        '50',
        '--timeout',
        '1000',
        '--format',
        'json',
      ]),
    ])
    expect(ours.code, ours.stderr).toBe(0)
    const [r] = JSON.parse(ours.stdout) as ProbeJson[]
    const pAvg = pingAvg(ping.stdout)
    console.log(
      `icmp raw: flowscope avg ${r!.rtt_ms.avg} ms (loss ${r!.loss_pct} %), ping avg ${pAvg} ms`,
    )
    expect(r!.received).toBe(40)
    expect(Math.abs(r!.rtt_ms.avg! - pAvg)).toBeLessThanOrEqual(0.5)
    expect(r!.rtt_ms.avg!).toBeGreaterThanOrEqual(9.95)
    expect(r!.rtt_ms.avg!).toBeLessThanOrEqual(13)
  })

  it('works over an unprivileged ping socket too (ping_group_range)', async () => {
    ns.run(ns.b, ['sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647'])
    const ours = await fs(
      [`icmp://${ns.addrA}`, '--count', '20', '--interval', '50', '--format', 'json'],
      { FLOWSCOPE_ICMP_SOCKET: 'dgram' },
    )
    expect(ours.code, ours.stderr).toBe(0)
    const [r] = JSON.parse(ours.stdout) as ProbeJson[]
    console.log(`icmp dgram: flowscope avg ${r!.rtt_ms.avg} ms`)
    expect(r!.received).toBe(20)
    expect(r!.rtt_ms.avg!).toBeGreaterThanOrEqual(9.95)
    expect(r!.rtt_ms.avg!).toBeLessThanOrEqual(13)
    ns.run(ns.b, ['sysctl', '-qw', 'net.ipv4.ping_group_range=1 0'])
  })

  it('probes ICMPv6 beside ping -6', async () => {
    const [ping, ours] = await Promise.all([
      run([
        'ip',
        'netns',
        'exec',
        ns.b,
        'ping',
        '-6',
        '-n',
        '-q',
        '-c',
        '20',
        '-i',
        '0.05',
        '-W',
        '1',
        ns.addr6A,
      ]),
      fs([`icmp://[${ns.addr6A}]`, '--count', '20', '--interval', '50', '--format', 'json']),
    ])
    expect(ours.code, ours.stderr).toBe(0)
    const [r] = JSON.parse(ours.stdout) as ProbeJson[]
    const pAvg = pingAvg(ping.stdout)
    console.log(`icmpv6: flowscope avg ${r!.rtt_ms.avg} ms, ping avg ${pAvg} ms`)
    expect(r!.received).toBe(20)
    // The peer's kernel answers ICMPv6 itself (no delay): both are tens of microseconds.
    expect(Math.abs(r!.rtt_ms.avg! - pAvg)).toBeLessThanOrEqual(0.3)
  })

  it('reports an address that never answers as 100 % loss, exit 0', async () => {
    const ours = await fs([
      'icmp://10.201.0.99',
      '--count',
      '5',
      '--interval',
      '100',
      '--timeout',
      '500',
      '--format',
      'json',
    ])
    expect(ours.code, ours.stderr).toBe(0)
    const [r] = JSON.parse(ours.stdout) as ProbeJson[]
    expect(r!.sent).toBe(5)
    expect(r!.received).toBe(0)
    expect(r!.loss_pct).toBe(100)
  })

  it('says how to enable ICMP when neither socket kind is allowed', async () => {
    // An unprivileged user with the default ping_group_range ("1 0": nobody may).
    const r = await run([
      'ip',
      'netns',
      'exec',
      ns.b,
      'setpriv',
      '--reuid',
      '65534',
      '--regid',
      '65534',
      '--clear-groups',
      process.execPath,
      CLI,
      'probe',
      `icmp://${ns.addrA}`,
      '--count',
      '1',
    ])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('net.ipv4.ping_group_range is "1 0"')
    expect(r.stderr).toContain('sysctl -w net.ipv4.ping_group_range="65534 65534"')
    expect(r.stderr).not.toContain('setcap')
  })
})
