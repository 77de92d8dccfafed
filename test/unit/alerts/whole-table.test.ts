/**
 * Ticks list only the top 20 conversations: host and conversation rules read the worker's
 * `busiest` (whole table), retransmission rates and counters its `retransmissions_total`, and
 * ticks of a capture file opened in the UI count as no interface at all.
 */
import { describe, expect, it } from 'vitest'
import type { CaptureTick } from '../../../common/contract'
import { createMetrics } from '../../../electron/engine/metrics'
import { captureTick, samples } from '../metrics/helpers'
import { T0, harness, iface } from './helpers'

const state = (iface: string, file?: string) => ({
  active: true,
  iface,
  filter: null,
  started_at: null,
  error: null,
  ...(file !== undefined && { file }),
})

/** A tick at T0 + i s whose top list is one quiet conversation; the rest only in busiest. */
function tick(i: number, retrans: number, hostBps: number, file?: string): CaptureTick {
  const t = captureTick(file ? `file:${file}` : 'eth0', T0 / 1000 + i, {
    received: 1000 * i,
    dropped: 0,
    packets: 1000 * i,
    malformed: 0,
    evicted: 0,
    retrans: 0,
  })
  t.snapshot.retransmissions_total = retrans
  t.snapshot.busiest = {
    hosts: [{ address: '10.0.9.9', bps: hostBps }],
    conversations: [
      {
        protocol: 'udp',
        address_a: '10.0.1.1',
        port_a: 5000,
        address_b: '10.0.9.9',
        port_b: 53,
        bps: hostBps / 50,
      },
    ],
  }
  if (file) t.file = file
  return t
}

describe('rules and metrics over the whole table', () => {
  it('a host rule sees the host summed over every conversation (busiest)', () => {
    const h = harness([
      { name: 'fan-in', metric: 'host_bytes_per_second', above: 40_000 },
      { name: 'conv', metric: 'conversation_bytes_per_second', above: 500 },
      { name: 'retx', metric: 'tcp_retransmissions_per_second', above: 10 },
    ])
    h.events.emit('capture.state', state('eth0'))
    h.events.emit('capture.tick', tick(1, 0, 50_000))
    h.tick(1, [iface('eth0', 0)])
    h.events.emit('capture.tick', tick(2, 30, 50_000))
    h.tick(2, [iface('eth0', 0)])
    const by = new Map(h.notices.map((n) => [n.rule, n]))
    // The top list has one quiet conversation of 10.0.0.1/10.0.0.2 and no retransmissions.
    expect(by.get('fan-in')?.labels).toMatchObject({ device: 'eth0', address: '10.0.9.9' })
    expect(by.get('fan-in')?.value).toBe(50_000)
    expect(by.get('conv')?.labels).toMatchObject({ address_a: '10.0.1.1', port_b: '53' })
    expect(by.get('conv')?.value).toBe(1000)
    // 30 retransmissions in the whole table over 1 s.
    expect(by.get('retx')?.value).toBe(30)
  })

  it('ticks of a capture file fire no rule', () => {
    const h = harness([{ name: 'fan-in', metric: 'host_bytes_per_second', above: 40_000 }])
    h.events.emit('capture.state', state('file:x.pcap', 'x.pcap'))
    h.events.emit('capture.tick', tick(1, 0, 50_000, 'x.pcap'))
    h.tick(1, [iface('eth0', 0)])
    h.events.emit('capture.tick', tick(2, 0, 50_000, 'x.pcap'))
    h.tick(2, [iface('eth0', 0)])
    expect(h.notices).toEqual([])
  })

  it('metrics count every retransmission and no capture-file tick', async () => {
    const h = harness([])
    const metrics = createMetrics({ events: h.events, counters: () => null, firing: () => [] })
    h.events.emit('capture.state', state('eth0'))
    h.events.emit('capture.tick', tick(1, 5, 0))
    h.events.emit('capture.tick', tick(2, 12, 0))
    h.events.emit('capture.state', state('file:x.pcap', 'x.pcap'))
    h.events.emit('capture.tick', tick(3, 900, 0, 'x.pcap'))
    h.events.emit('capture.tick', tick(4, 1000, 0, 'x.pcap'))
    const m = samples(await metrics.text())
    expect(m.get('flowscope_capture_tcp_retransmissions_total{device="eth0"}')).toBe(12)
    expect(m.get('flowscope_capture_packets_total{device="eth0"}')).toBe(2000)
    expect([...m.keys()].filter((k) => k.includes('file:'))).toEqual([])
    expect([...m.keys()].some((k) => k.startsWith('flowscope_capture_running'))).toBe(false)
  })
})
