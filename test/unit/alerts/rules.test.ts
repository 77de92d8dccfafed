/**
 * Rule evaluation on synthetic series: fires once after `for`, clears once past the clearing
 * threshold, noise around the threshold does not flap, and a series that goes away (interface,
 * probe, capture) resolves with the reason.
 */
import { describe, expect, it } from 'vitest'
import { AlertConfig } from '../../../common/alerts'
import { harness, iface, probeStats, T0 } from './helpers'

const busy = {
  name: 'uplink busy',
  metric: 'interface_receive_bytes_per_second' as const,
  match: { device: 'eth0' },
  above: 1000,
  for: '5s',
  clear: 800,
  severity: 'critical' as const,
}

describe('alert rules', () => {
  it('fires once after `for` and clears once past the clearing threshold', () => {
    const h = harness([busy])
    const series = [
      0, 500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 900, 850, 700, 600, 1200,
    ]
    series.forEach((v, i) => h.tick(i, [iface('eth0', v), iface('lo', 99_999)]))
    const [fired, cleared, ...rest] = h.notices
    expect(rest).toEqual([]) // 1200 at the end re-enters pending only (for 5 s not reached)
    // Crossed at t=2; for 5 s: fires on the tick at t=7, not before.
    expect(fired).toMatchObject({
      status: 'firing',
      rule: 'uplink busy',
      value: 1500,
      startsAt: new Date(T0 + 7000).toISOString(),
      endsAt: null,
      labels: {
        alertname: 'uplink busy',
        device: 'eth0',
        severity: 'critical',
        instance: 'test-host',
      },
    })
    // 900 and 850 are below the threshold but above `clear`: still firing. 700 clears it.
    expect(cleared).toMatchObject({
      status: 'resolved',
      value: 700,
      startsAt: fired!.startsAt,
      endsAt: new Date(T0 + 12_000).toISOString(),
      annotations: { resolved_reason: 'value back within threshold' },
    })
    expect(h.rows.map((r) => [r.time_us, r.rule, r.severity, r.value])).toEqual([
      [(T0 + 7000) * 1000, 'uplink busy', 'critical', 1500],
      [(T0 + 12_000) * 1000, 'uplink busy', 'critical', 700],
    ])
    expect(h.rows[0]!.message).toMatch(/^firing: uplink busy/)
    expect(h.rows[1]!.message).toMatch(/^resolved \(value back within threshold\)/)
    expect(h.toasts).toHaveLength(2)
    expect(h.engine.list().active).toEqual([
      expect.objectContaining({ state: 'pending', rule: 'uplink busy', value: 1200 }),
    ])
  })

  it('does not fire on a spike shorter than `for`', () => {
    const h = harness([busy])
    ;[0, 2000, 2000, 2000, 2000, 0, 2000, 2000, 2000, 2000, 0].forEach((v, i) =>
      h.tick(i, [iface('eth0', v)]),
    )
    expect(h.notices).toEqual([])
    expect(h.engine.list().active).toEqual([])
  })

  it('noise around the threshold does not flap (hysteresis)', () => {
    const h = harness([{ ...busy, for: 0 }])
    // Seeded noise of ±100 around 1000 for 200 ticks, then a clear drop.
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 200 - 100
    const values = Array.from({ length: 200 }, () => 1000 + rnd())
    values.forEach((v, i) => h.tick(i, [iface('eth0', v)]))
    const crossings = values.filter((v, i) => i > 0 && v > 1000 !== values[i - 1]! > 1000).length
    expect(crossings).toBeGreaterThan(50) // the noise really crosses the threshold often
    expect(h.notices.map((n) => n.status)).toEqual(['firing'])
    h.tick(200, [iface('eth0', 100)])
    expect(h.notices.map((n) => n.status)).toEqual(['firing', 'resolved'])
  })

  it('without `clear`, the threshold clears it and `below` rules work the other way', () => {
    const h = harness([
      { name: 'idle', metric: 'interface_transmit_bytes_per_second', below: 10, for: '2s' },
    ])
    ;[50, 5, 5, 5, 5, 10, 9].forEach((v, i) => h.tick(i, [iface('eth0', 0, v)]))
    expect(h.notices.map((n) => [n.status, n.value])).toEqual([
      ['firing', 5],
      ['resolved', 10],
    ])
  })

  it('an interface that vanishes resolves its alert with the reason', () => {
    const h = harness([{ ...busy, for: 0 }])
    h.tick(0, [iface('eth0', 5000)])
    h.tick(1, [iface('lo', 0)])
    expect(h.notices.map((n) => n.status)).toEqual(['firing', 'resolved'])
    expect(h.notices[1]!.annotations.resolved_reason).toBe('interface eth0 vanished')
    expect(h.notices[1]!.value).toBeNull()
    expect(h.rows[1]!.message).toContain('interface eth0 vanished')
  })

  it('a stopped probe resolves its alert with the reason', () => {
    const h = harness([
      { name: 'lossy', metric: 'probe_loss_percent', above: 10, for: '1s', clear: 5 },
      { name: 'slow', metric: 'probe_rtt_avg_ms', match: { kind: 'udp' }, above: 50 },
    ])
    const stats = (i: number, loss: number, avg: number | null) => {
      h.events.emit('probes.stats', {
        time: new Date(T0 + i * 1000).toISOString(),
        targets: [probeStats('udp://10.0.0.1:7', loss, avg)],
      })
      h.tick(i, [])
    }
    h.events.emit('probes.state', { active: true, targets: [], error: null })
    stats(0, 20, 60)
    stats(1, 20, null) // no replies: RTT has no value now, keeps its state
    stats(2, 25, 70)
    expect(h.notices.map((n) => `${n.status} ${n.rule}`)).toEqual(['firing slow', 'firing lossy'])
    expect(h.notices[1]!.annotations.probe_recent).toMatch(/loss 20\.0 %, RTT avg - ms/)
    h.events.emit('probes.state', { active: false, targets: [], error: null })
    h.tick(3, [])
    expect(h.notices.slice(2).map((n) => [n.status, n.annotations.resolved_reason])).toEqual([
      ['resolved', 'probes stopped'],
      ['resolved', 'probes stopped'],
    ])
  })

  it('conversation and capture rules carry the context of the moment they fired', () => {
    const h = harness([
      { name: 'hog', metric: 'host_bytes_per_second', match: { address: '10.0.0.9' }, above: 1e6 },
      { name: 'drops', metric: 'capture_drops_per_second', above: 10 },
    ])
    h.events.emit('capture.state', {
      active: true,
      iface: 'eth0',
      filter: null,
      started_at: null,
      error: null,
    })
    const conv = (b: string, port: number, bps: number, retrans: number) => ({
      protocol: 'tcp' as const,
      address_a: '10.0.0.9',
      port_a: 40000 + port,
      address_b: b,
      port_b: 443,
      packets_a_to_b: 100,
      bytes_a_to_b: 1e5,
      packets_b_to_a: 100,
      bytes_b_to_a: 1e5,
      first_seen_us: 1,
      last_seen_us: 2,
      retransmissions: retrans,
      handshake_rtt_ms: null,
      rate_a_to_b_bps: { s2: bps, s10: bps, s40: bps },
      rate_b_to_a_bps: { s2: 0, s10: 0, s40: 0 },
      peak_a_to_b_bps: bps,
      peak_b_to_a_bps: 0,
      process: port === 1 ? 'rsync' : 'curl',
      pid: 4000 + port,
    })
    const capture = (i: number, dropped: number, retrans: number, bps: number) =>
      h.events.emit('capture.tick', {
        iface: 'eth0',
        skipped: 0,
        health: { received: 1000 * i, dropped_kernel: dropped, dropped_interface: 0 },
        snapshot: {
          time_us: (T0 + i * 1000) * 1000,
          start_us: T0 * 1000,
          link_type: 1,
          link_type_name: 'EN10MB',
          packets: 1000 * i,
          bytes: 1e6 * i,
          by_protocol: { tcp: { packets: 1000 * i, bytes: 1e6 * i } },
          rates_bps: { s2: 0, s10: 0, s40: 0 },
          peak_bps: 0,
          malformed: {},
          malformed_total: 0,
          flows_active: 2,
          flows_evicted: 0,
          flows_expired: 0,
          conversations: [conv('10.0.0.1', 1, bps, retrans), conv('10.0.0.2', 2, bps / 2, 0)],
        },
      })
    capture(1, 0, 0, 1e5)
    h.tick(1, [iface('eth0', 0)])
    capture(2, 50, 20, 2e6)
    h.tick(2, [iface('eth0', 0)])
    expect(h.notices.map((n) => n.rule).sort()).toEqual(['drops', 'hog'])
    const hog = h.notices.find((n) => n.rule === 'hog')!
    expect(hog.value).toBe(3e6)
    expect(hog.labels).toMatchObject({ device: 'eth0', address: '10.0.0.9' })
    expect(hog.annotations.top_conversations).toBe(
      'tcp 10.0.0.9:40001 <-> 10.0.0.1:443 2 MB/s [rsync 4001]; tcp 10.0.0.9:40002 <-> 10.0.0.2:443 1 MB/s [curl 4002]',
    )
    expect(hog.annotations.top_processes).toBe('rsync (4001) 2 MB/s; curl (4002) 1 MB/s')
    // 20 retransmissions in 1000 TCP segments over 1 s; 50 kernel drops over 1 s.
    expect(hog.annotations.tcp_retransmissions).toBe('20.0/s (2.00 % of TCP segments)')
    expect(h.notices.find((n) => n.rule === 'drops')!.value).toBe(50)
    h.events.emit('capture.state', {
      active: false,
      iface: 'eth0',
      filter: null,
      started_at: null,
      error: null,
    })
    h.tick(3, [iface('eth0', 0)])
    expect(h.notices.slice(2).map((n) => n.annotations.resolved_reason)).toEqual([
      'capture stopped',
      'capture stopped',
    ])
  })

  it('a removed or changed rule resolves its firing alerts; a kept one stays firing', () => {
    const h = harness([
      { ...busy, for: 0 },
      { ...busy, name: 'other', for: 0 },
    ])
    h.tick(0, [iface('eth0', 5000)])
    expect(h.notices).toHaveLength(2)
    h.engine.setRules(AlertConfig.parse({ rules: [{ ...busy, name: 'other', for: 0 }] }))
    expect(h.notices.slice(2).map((n) => [n.rule, n.annotations.resolved_reason])).toEqual([
      ['uplink busy', 'rule removed'],
    ])
    h.engine.setRules(
      AlertConfig.parse({ rules: [{ ...busy, name: 'other', above: 2000, for: 0 }] }),
    )
    expect(h.notices.slice(3).map((n) => [n.rule, n.annotations.resolved_reason])).toEqual([
      ['other', 'rule changed'],
    ])
    expect(h.engine.firing()).toEqual([])
  })
})
