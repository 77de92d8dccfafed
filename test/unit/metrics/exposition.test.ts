/**
 * The Prometheus exposition from the Monitor's events: kernel counters as read on the last
 * tick, capture counters that survive a capture restart, probe metrics, firing alerts; and
 * `promtool check metrics` (Prometheus's own linter) accepts it.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { AlertConfig } from '../../../common/alerts'
import { AlertEngine } from '../../../electron/engine/alerts/engine'
import { EventBus } from '../../../electron/engine/events'
import { createMetrics } from '../../../electron/engine/metrics'
import type { InterfaceCounters } from '../../../electron/engine/sysnet/counters'
import { hasCommand } from '../../support/netns'
import { captureTick, families, samples } from './helpers'

const counters = (rx: number): Map<string, InterfaceCounters> =>
  new Map([
    [
      'eth0',
      {
        rx_bytes: rx,
        tx_bytes: 2 * rx,
        rx_packets: 10,
        tx_packets: 20,
        rx_dropped: 3,
        tx_dropped: 4,
        rx_errs: 5,
        tx_errs: 6,
      },
    ],
  ])

function setup() {
  const events = new EventBus()
  let current: Map<string, InterfaceCounters> | null = null
  const alerts = new AlertEngine(events, { instance: 'h1' })
  const metrics = createMetrics({
    events,
    counters: () => current && { at_ms: 1_700_000_000_123, counters: current },
    firing: () => alerts.firing(),
  })
  return {
    events,
    metrics,
    alerts,
    setCounters: (c: Map<string, InterfaceCounters>) => (current = c),
  }
}

const captureState = (active: boolean) => ({
  active,
  iface: 'eth0',
  filter: null,
  started_at: null,
  error: null,
})

describe('metrics exposition', () => {
  it('reports the kernel counters the Monitor read, with node_exporter netdev names', async () => {
    const s = setup()
    s.setCounters(counters(12345))
    const m = samples(await s.metrics.text())
    expect(m.get('flowscope_network_receive_bytes_total{device="eth0"}')).toBe(12345)
    expect(m.get('flowscope_network_transmit_bytes_total{device="eth0"}')).toBe(24690)
    expect(m.get('flowscope_network_receive_packets_total{device="eth0"}')).toBe(10)
    expect(m.get('flowscope_network_transmit_packets_total{device="eth0"}')).toBe(20)
    expect(m.get('flowscope_network_receive_drop_total{device="eth0"}')).toBe(3)
    expect(m.get('flowscope_network_receive_errs_total{device="eth0"}')).toBe(5)
    expect(m.get('flowscope_network_transmit_errs_total{device="eth0"}')).toBe(6)
    expect(m.has('flowscope_network_up{device="eth0"}')).toBe(true)
    expect(m.get('flowscope_network_read_timestamp_seconds')).toBe(1_700_000_000.123)
  })

  it('capture counters keep counting across a capture restart', async () => {
    const s = setup()
    s.events.emit('capture.state', captureState(true))
    s.events.emit(
      'capture.tick',
      captureTick('eth0', 1, {
        received: 100,
        dropped: 5,
        packets: 100,
        malformed: 2,
        evicted: 1,
        retrans: 3,
      }),
    )
    s.events.emit(
      'capture.tick',
      captureTick('eth0', 2, {
        received: 250,
        dropped: 7,
        packets: 240,
        malformed: 4,
        evicted: 1,
        retrans: 8,
      }),
    )
    s.events.emit('capture.state', captureState(false))
    // A new capture starts from zero again; its counts add to the totals.
    s.events.emit('capture.state', captureState(true))
    s.events.emit(
      'capture.tick',
      captureTick('eth0', 3, {
        received: 30,
        dropped: 1,
        packets: 30,
        malformed: 0,
        evicted: 2,
        retrans: 1,
      }),
    )
    const m = samples(await s.metrics.text())
    expect(m.get('flowscope_capture_packets_received_total{device="eth0"}')).toBe(280)
    expect(m.get('flowscope_capture_packets_dropped_total{device="eth0",where="kernel"}')).toBe(8)
    // ps_ifdrop stayed at 1 within each capture: counted once per capture.
    expect(m.get('flowscope_capture_packets_dropped_total{device="eth0",where="interface"}')).toBe(
      2,
    )
    expect(m.get('flowscope_capture_packets_total{device="eth0"}')).toBe(270)
    expect(m.get('flowscope_capture_tcp_packets_total{device="eth0"}')).toBe(270)
    expect(m.get('flowscope_capture_malformed_frames_total{device="eth0"}')).toBe(4)
    expect(m.get('flowscope_capture_conversations_evicted_total{device="eth0"}')).toBe(3)
    expect(m.get('flowscope_capture_tcp_retransmissions_total{device="eth0"}')).toBe(9)
    expect(m.get('flowscope_capture_conversations_tracked{device="eth0"}')).toBe(3)
    expect(m.get('flowscope_capture_running{device="eth0"}')).toBe(1)
  })

  it('probe metrics follow blackbox_exporter: success, duration histogram, loss, jitter, phases', async () => {
    const s = setup()
    const target = 'http://10.0.0.1/'
    const result = (seq: number, rtt: number | null) => ({
      target,
      kind: 'http' as const,
      seq,
      sent_at: new Date(seq * 1000).toISOString(),
      rtt_ms: rtt,
      status: rtt === null ? ('timeout' as const) : ('ok' as const),
      ...(rtt !== null && { phases_ms: { dns: 0, connect: 1.5, ttfb: 4, total: rtt } }),
    })
    s.events.emit('probes.state', { active: true, targets: [], error: null })
    s.events.emit('probes.results', {
      results: [result(0, 10), result(1, 30), result(2, null), result(3, 20)],
    })
    const stat = {
      target,
      kind: 'http' as const,
      sent: 4,
      received: 3,
      loss_pct: 25,
      rtt_ms: { min: 10, avg: 20, max: 30, stddev: 10, p50: 20, p95: 29, p99: 30 },
      jitter_ms: { mean: 15, max: 20, rfc3550: 2 },
      late: 0,
      duplicates: 0,
    }
    s.events.emit('probes.stats', {
      time: '',
      targets: [{ target, window_n: 60, window: stat, run: stat }],
    })
    const m = samples(await s.metrics.text())
    const l2 = `target="${target}",kind="http"`
    expect(m.get(`flowscope_probe_success{${l2}}`)).toBe(1)
    expect(m.get(`flowscope_probe_loss_ratio{${l2}}`)).toBe(0.25)
    expect(m.get(`flowscope_probe_jitter_seconds{${l2}}`)).toBe(0.015)
    expect(m.get(`flowscope_probe_rtt_seconds{${l2},stat="p95"}`)).toBe(0.029)
    expect(m.get(`flowscope_probe_phase_duration_seconds{${l2},phase="connect"}`)).toBe(0.0015)
    expect(m.get(`flowscope_probe_sent_total{${l2}}`)).toBe(4)
    expect(m.get(`flowscope_probe_received_total{${l2}}`)).toBe(3)
    expect(m.get(`flowscope_probe_duration_seconds_count{${l2}}`)).toBe(3)
    expect(m.get(`flowscope_probe_duration_seconds_sum{${l2}}`)).toBeCloseTo(0.06, 9)
    expect(m.get(`flowscope_probe_duration_seconds_bucket{le="0.01",${l2}}`)).toBe(1)
    expect(m.get(`flowscope_probe_duration_seconds_bucket{le="0.025",${l2}}`)).toBe(2)
    // Stopped probes leave their counters, not their gauges.
    s.events.emit('probes.state', { active: false, targets: [], error: null })
    const after = samples(await s.metrics.text())
    expect(after.has(`flowscope_probe_loss_ratio{${l2}}`)).toBe(false)
    expect(after.get(`flowscope_probe_sent_total{${l2}}`)).toBe(4)
  })

  it('each firing alert is a flowscope_alert_firing series', async () => {
    const s = setup()
    s.alerts.setRules(
      AlertConfig.parse({
        rules: [
          {
            name: 'busy',
            metric: 'interface_receive_bytes_per_second',
            above: 10,
            labels: { team: 'net' },
          },
        ],
      }),
    )
    const dir = {
      current_bps: 50,
      average_bps: 0,
      min_bps: 0,
      max_bps: 0,
      total_bytes: 0,
      total_packets: 0,
    }
    s.events.emit('bandwidth.tick', {
      time: new Date().toISOString(),
      interfaces: [{ name: 'eth0', rx: dir, tx: dir, rx_dropped: 0, elapsed_s: 1 }],
    })
    const m = samples(await s.metrics.text())
    expect(
      m.get('flowscope_alert_firing{device="eth0",team="net",alertname="busy",severity="warning"}'),
    ).toBe(1)
  })

  const noPromtool = hasCommand('promtool') ? null : 'promtool is not installed'
  if (noPromtool) console.warn(`skipping promtool check metrics: ${noPromtool}`)
  it.skipIf(noPromtool !== null)('promtool check metrics accepts the exposition', async () => {
    const s = setup()
    s.setCounters(counters(1))
    s.events.emit('capture.state', captureState(true))
    const tick = captureTick('eth0', 1, {
      received: 1,
      dropped: 0,
      packets: 1,
      malformed: 0,
      evicted: 0,
      retrans: 0,
    })
    // With flow export running (its counters: flowscope_flow_export_*_total).
    tick.health!.export = {
      records: 5,
      messages: 2,
      bytes: 300,
      send_errors: 1,
      dropped: 0,
      collectors: [{ url: 'ipfix://127.0.0.1:4739', state: 'down', last_error: 'ECONNREFUSED' }],
    }
    s.events.emit('capture.tick', tick)
    const text = await s.metrics.text()
    expect(families(text).size).toBeGreaterThan(20)
    expect(samples(text).get('flowscope_flow_export_records_total')).toBe(5)
    expect(families(text).get('flowscope_flow_export_send_errors_total')).toBe('counter')
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
