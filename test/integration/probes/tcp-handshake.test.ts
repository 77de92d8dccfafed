/**
 * tcp:// connect time and the http:// connect phase against the wire: tcpdump on the prober's
 * veth times each SYN to its SYN-ACK, and the probe reports the kernel's own sample of the same
 * handshake (TCP_INFO). Tolerance: the kernel stamps the SYN a few µs before tcpdump's tap sees
 * it and takes the SYN-ACK a few µs after, so the means agree within 0.05 ms. Timing the
 * 'connect' event instead came 1-3 ms late on this machine, where the handshake takes ~30 µs.
 */
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasCommand, Netns } from '../../support/netns'
import { CLI, netnsUnavailable, ROOT, type ProbeJson } from './netns'

const missing = ['tcpdump', 'python3'].find((tool) => !hasCommand(tool))
const reason =
  netnsUnavailable() ??
  (existsSync(`${ROOT}/out/main/probe.js`) &&
  existsSync(`${ROOT}/native/icmp/build/Release/fsp_icmp.node`)
    ? null
    : 'not built: run `npm run build` first') ??
  (missing ? `${missing} is not installed` : null)
if (reason) console.warn(`skipping tcp handshake tests: ${reason}`)

const HTTP_PORT = 8090
const TCP_PORT = 8091

/** SYN to SYN-ACK times (ms) per server port and family, from tcpdump's nanosecond stamps. */
function handshakes(lines: string[]): Map<string, number[]> {
  const syn = new Map<string, number>()
  const out = new Map<string, number[]>()
  const re = /^(\d+\.\d+) (IP6?) (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[(S|S\.)\]/
  for (const line of lines) {
    const m = re.exec(line)
    if (!m) continue
    const [, t, family, , srcPort, , dstPort, flags] = m
    if (flags === 'S') syn.set(`${family} ${srcPort}`, Number(t))
    else {
      const sent = syn.get(`${family} ${dstPort}`)
      if (sent === undefined) continue
      const key = `${family} ${srcPort}`
      out.set(key, [...(out.get(key) ?? []), (Number(t) - sent) * 1000])
    }
  }
  return out
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

describe.skipIf(reason !== null)('TCP handshake times against tcpdump', () => {
  const net = new Netns('ftk', '10.214.0', 'fdd4')
  const lines: string[] = []
  beforeAll(async () => {
    net.create()
    // Dual-stack listeners: http.server for http://, a bare accept loop for tcp://.
    net.spawn(net.a, ['python3', '-m', 'http.server', String(HTTP_PORT), '--bind', '::'])
    net.spawn(net.a, [
      'python3',
      '-c',
      `import socket\ns=socket.create_server(('::',${TCP_PORT}),family=socket.AF_INET6,dualstack_ipv6=True)\nwhile True: s.accept()[0].close()`,
    ])
    const dump = net.spawn(net.b, [
      'tcpdump',
      '-i',
      net.vethB,
      '-n',
      '-l',
      '-tt',
      '--time-stamp-precision=nano',
      `tcp port ${HTTP_PORT} or tcp port ${TCP_PORT}`,
    ])
    createInterface({ input: dump.stdout! }).on('line', (l) => lines.push(l))
    await new Promise<void>((resolve) =>
      dump.stderr!.on('data', (d) => String(d).includes('listening on') && resolve()),
    )
    // Both listeners up before any probe counts a refusal.
    for (const port of [HTTP_PORT, TCP_PORT])
      for (let i = 0; ; i++) {
        try {
          net.run(net.b, ['bash', '-c', `echo > /dev/tcp/${net.addrA}/${port}`])
          break
        } catch (err) {
          if (i > 50) throw err
          await new Promise((r) => setTimeout(r, 100))
        }
      }
  })
  afterAll(() => net.destroy())

  const probe = (target: string, count: number): ProbeJson => {
    const out = net.run(net.b, [
      process.execPath,
      CLI,
      'probe',
      target,
      '--count',
      String(count),
      '--interval',
      '50',
      '--format',
      'json',
    ])
    return (JSON.parse(out) as ProbeJson[])[0]!
  }

  it('tcp:// (IPv4 and IPv6) and the http:// connect phase equal the wire', async () => {
    const settle = () => new Promise((r) => setTimeout(r, 500)) // tcpdump prints what it saw
    await settle()
    const before = handshakes(lines)
    const v4 = probe(`tcp://${net.addrA}:${TCP_PORT}`, 20)
    const v6 = probe(`tcp://[${net.addr6A}]:${TCP_PORT}`, 20)
    const web = probe(`http://${net.addrA}:${HTTP_PORT}/`, 10)
    await settle()
    const wire = handshakes(lines)
    const seen = (key: string) => (wire.get(key) ?? []).slice((before.get(key) ?? []).length)
    const rows = [
      ['tcp:// IPv4', v4.rtt_ms.avg!, v4.received, seen(`IP ${TCP_PORT}`)],
      ['tcp:// IPv6', v6.rtt_ms.avg!, v6.received, seen(`IP6 ${TCP_PORT}`)],
      ['http:// connect', web.phases_ms!.connect!, web.received, seen(`IP ${HTTP_PORT}`)],
    ] as const
    for (const [what, ours, received, times] of rows)
      console.log(
        `${what}: flowscope ${ours.toFixed(3)} ms over ${received}, tcpdump ${mean(times).toFixed(3)} ms over ${times.length}`,
      )
    for (const [, ours, received, times] of rows) {
      expect(times.length).toBe(received)
      expect(Math.abs(ours - mean(times))).toBeLessThanOrEqual(0.05)
    }
    expect(v4.received).toBe(20)
    expect(v6.received).toBe(20)
    expect(web.received).toBe(10)
  })
})
