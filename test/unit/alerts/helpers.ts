import type { AlertNotice } from '../../../common/alerts'
import { AlertConfig, type AlertRuleInput } from '../../../common/alerts'
import type { InterfaceRates } from '../../../common/contract'
import type { ProbeTargetStats } from '../../../common/probes'
import { AlertEngine, type AlertEngineOptions } from '../../../electron/engine/alerts/engine'
import { EventBus } from '../../../electron/engine/events'
import type { AlertEvent } from '../../../electron/shared/store'

export const T0 = Date.parse('2026-11-30T10:00:00Z')

const dir = (bps: number) => ({
  current_bps: bps,
  average_bps: bps,
  min_bps: 0,
  max_bps: bps,
  total_bytes: 0,
  total_packets: 0,
})

export const iface = (
  name: string,
  rx_bps: number,
  tx_bps = 0,
  rx_dropped = 0,
): InterfaceRates => ({
  name,
  rx: dir(rx_bps),
  tx: dir(tx_bps),
  rx_dropped,
  elapsed_s: 1,
})

export const probeStats = (
  target: string,
  loss_pct: number,
  avg: number | null,
): ProbeTargetStats => {
  const s = {
    target,
    kind: 'udp' as const,
    sent: 20,
    received: Math.round(20 * (1 - loss_pct / 100)),
    loss_pct,
    rtt_ms: { min: avg, avg, max: avg, stddev: 0, p50: avg, p95: avg, p99: avg },
    jitter_ms: { mean: 0.5, max: 1, rfc3550: 0.4 },
    late: 0,
    duplicates: 0,
  }
  return { target, window_n: 20, window: s, run: s }
}

/** An AlertEngine on its own bus, with every notice, history row and notification kept. */
export function harness(rules: AlertRuleInput[], opts: AlertEngineOptions = {}) {
  const events = new EventBus()
  const notices: AlertNotice[] = []
  const rows: AlertEvent[] = []
  const toasts: string[] = []
  events.on('alert', (n) => notices.push(n))
  const engine = new AlertEngine(events, {
    record: (a) => rows.push(a),
    notifier: { notify: (title, body) => toasts.push(`${title} | ${body}`) },
    instance: 'test-host',
    ...opts,
  })
  engine.setRules(AlertConfig.parse({ rules }))
  /** One Monitor tick at T0 + i seconds. */
  const tick = (i: number, interfaces: InterfaceRates[]) =>
    events.emit('bandwidth.tick', { time: new Date(T0 + i * 1000).toISOString(), interfaces })
  return { events, engine, notices, rows, toasts, tick }
}
