/**
 * The exporter on synthetic frames through the real Aggregator, with a transport that keeps
 * the messages: uniflow records, IP-layer octets whatever the snap length, active and idle
 * timeouts on capture time, flowEndReason; and the CLI's --export flags.
 */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { run } from '../../../electron/cli/main'
import { FlowExporter } from '../../../electron/shared/flowexport/exporter'
import { parseCollectorUrl } from '../../../electron/shared/flowexport/options'
import type { Transport } from '../../../electron/shared/flowexport/transport'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { ether, ipv4, ipv6, tcp, udp } from '../decode/frames'
import { decodeMessage, type Templates } from './decode'

class Keep implements Transport {
  readonly stats = {
    messagesSent: 0,
    bytesSent: 0,
    sendErrors: 0,
    dropped: 0,
    connected: true,
    lastError: null,
  }
  onSession: (() => void) | null = null
  readonly messages: Buffer[] = []
  send(m: Buffer) {
    this.messages.push(Buffer.from(m))
    this.stats.messagesSent++
  }
  pending() {
    return 0
  }
  close() {}
}

function spec(url: string) {
  const p = parseCollectorUrl(url)
  if (!p.ok) throw new Error(p.message)
  return p.value
}

function setup(active = 60, idle = 15, maxFlows?: number) {
  const keep = new Keep()
  const exporter = new FlowExporter(
    {
      collectors: [spec('ipfix://127.0.0.1:4739')],
      activeTimeoutS: active,
      idleTimeoutS: idle,
    },
    () => keep,
  )
  const agg = new Aggregator({ linkType: 1, ...(maxFlows && { maxFlows }) })
  agg.attachExport(exporter)
  const records = () => {
    const t: Templates = new Map()
    return keep.messages.flatMap((m) => decodeMessage(m, t).records)
  }
  return { agg, exporter, records }
}

const S = 1e6
const frame4 = (src: string, dst: string, l4: number[], proto = 6) =>
  new Uint8Array(ether(0x0800, ipv4(l4, { src, dst, proto })))

describe('FlowExporter', () => {
  it('one record per direction; octets are IP-layer bytes even when the frame was cut', () => {
    const { agg, records } = setup()
    const out = frame4(
      '10.0.0.1',
      '10.0.0.2',
      tcp({ sport: 1000, dport: 80, flags: 0x02, payload: 1000 }),
    )
    const back = frame4('10.0.0.2', '10.0.0.1', tcp({ sport: 80, dport: 1000, flags: 0x12 }))
    // Snap length 64: the frame holds the headers only; the wire length is the whole frame.
    agg.add(1 * S, out.subarray(0, 64), out.length)
    agg.add(1 * S + 500, back, back.length)
    agg.add(2 * S, out.subarray(0, 64), out.length)
    const v6 = new Uint8Array(ether(0x86dd, ipv6(17, udp(5353, 53, 20), { src: 'fd00::1' })))
    agg.add(2 * S + 10, v6, v6.length)
    agg.advance(3 * S)
    agg.finishExport()
    const r = records()
    expect(r).toHaveLength(3)
    const ab = r.find((x) => x.get(7) === 1000)!
    expect(ab.get(2)).toBe(2)
    expect(ab.get(1)).toBe(2 * (20 + 20 + 1000)) // IPv4 total length, not the 64 captured bytes
    expect(ab.get(6)).toBe(0x02)
    expect(ab.get(152)).toBe(1000)
    expect(ab.get(153)).toBe(2000)
    expect(ab.get(136)).toBe(4) // forced end (end of capture)
    const ba = r.find((x) => x.get(7) === 80)!
    expect(ba).toBeDefined()
    expect(ba.get(8)).toBe('10.0.0.2')
    expect(ba.get(1)).toBe(40)
    expect(ba.get(6)).toBe(0x12)
    const u6 = r.find((x) => x.get(4) === 17)!
    expect(u6.get(1)).toBe(8 + 20 + 40) // IPv6 payload length + 40
  })

  it('active timeout splits a long flow; idle timeout ends it; the records sum to the packets', () => {
    const { agg, records } = setup(10, 3)
    let sent = 0
    for (let t = 0; t < 35; t++) {
      const f = frame4('10.0.0.1', '10.0.0.2', udp(7000, 7001, 100), 17)
      agg.add((100 + t) * S, f, f.length)
      sent++
    }
    agg.advance(150 * S)
    const r = records()
    expect(r.map((x) => x.get(136))).toEqual([2, 2, 2, 1]) // active x3, then idle
    expect(r.reduce((n, x) => n + (x.get(2) as number), 0)).toBe(sent)
    for (const x of r) {
      expect((x.get(153) as number) - (x.get(152) as number)).toBeLessThan(11_000)
      expect(x.get(1)).toBe((x.get(2) as number) * 128)
    }
    // A TCP direction that saw FIN ends with flowEndReason "end of flow detected".
    const { agg: a2, records: r2 } = setup(60, 2)
    const fin = frame4('10.0.0.1', '10.0.0.2', tcp({ flags: 0x11 }))
    a2.add(1 * S, fin, fin.length)
    a2.advance(10 * S)
    expect(r2().map((x) => x.get(136))).toEqual([3])
  })

  it('a flow evicted from a full table is reported with lack of resources', () => {
    const { agg, records } = setup(60, 15, 2)
    for (let i = 1; i <= 3; i++) {
      const f = frame4(`10.0.0.${i}`, '10.0.1.1', udp(1, 2, 1), 17)
      agg.add(i * S, f, f.length)
    }
    agg.advance(4 * S) // the tick sends what the eviction produced
    expect(records().map((x) => [x.get(8), x.get(136)])).toEqual([['10.0.0.1', 5]])
  })
})

async function cli(...argv: string[]) {
  const err = new PassThrough()
  let stderr = ''
  err.on('data', (d) => (stderr += d))
  const code = await run(argv, {
    stdout: new PassThrough(),
    stderr: err,
    env: {},
    signal: new AbortController().signal,
  })
  return { code, stderr }
}

describe('--export flags', () => {
  it('bad collector URLs and options: one line, exit 2', async () => {
    for (const [args, msg] of [
      [['--export', 'http://x:1'], /unknown scheme 'http'/],
      [['--export', 'ipfix://host:99999'], /not a collector URL|port must be/],
      [['--export', 'ipfix://:4739'], /not a collector URL|no host/],
      [['--export', 'netflow9+tcp://h:1'], /unknown scheme/],
      [['--export', 'ipfix://h:1/path'], /only a host and a port/],
      [['--export', 'ipfix://h', '--export-idle-timeout', 'soon'], /must be a number/],
      [['--export', 'ipfix://h', '--export-active-timeout', '0'], /active timeout must be/],
      [['--export', 'ipfix://h', '--export-domain-id', '1.5'], /domain id/],
      [['--export-domain-id', '3'], /needs --export/],
    ] as const) {
      const r = await cli('analyze', 'nonexistent.pcap', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(msg)
    }
  })

  it('parses collector URLs with defaults and IPv6 hosts', () => {
    expect(
      parseCollectorUrl('ipfix://[::1]').ok && parseCollectorUrl('ipfix://[::1]'),
    ).toMatchObject({
      value: { protocol: 'ipfix', transport: 'udp', host: '::1', port: 4739 },
    })
    expect(parseCollectorUrl('ipfix+tcp://c.example:9995')).toMatchObject({
      value: { transport: 'tcp', host: 'c.example', port: 9995 },
    })
    expect(parseCollectorUrl('netflow9://10.1.1.1')).toMatchObject({
      value: { protocol: 'netflow9', port: 2055 },
    })
  })
})
