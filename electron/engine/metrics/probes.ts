/**
 * Probe metrics named like blackbox_exporter's: success of the latest probe, a duration
 * histogram, the recent window's loss, jitter and RTT, the latest probe's phase durations, and
 * sent / received counters (monotonic across probe restarts). Labels: target, kind.
 */
import { Histogram, type Registry } from 'prom-client'
import type { ProbeResult, ProbeTargetStats } from '../../../common/probes'
import type { EventBus } from '../events'
import { Collected, type CollectedSample } from './collected'

/** Most target label sets kept; the least recently probed are forgotten beyond it. */
const MAX_TARGETS = 2000

interface TargetState {
  kind: string
  sent: number
  received: number
  success: number | null
  phases: Record<string, number>
}

export function registerProbes(registry: Registry, events: EventBus): () => void {
  const targets = new Map<string, TargetState>()
  let stats = new Map<string, ProbeTargetStats>()
  const durations = new Histogram({
    name: 'flowscope_probe_duration_seconds',
    help: 'Round-trip (or connect / query / request) time of successful probes.',
    labelNames: ['target', 'kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const state = (r: ProbeResult): TargetState => {
    let t = targets.get(r.target)
    if (t) targets.delete(r.target)
    else t = { kind: r.kind, sent: 0, received: 0, success: null, phases: {} }
    targets.set(r.target, t) // most recent last
    while (targets.size > MAX_TARGETS) {
      const [oldest, old] = targets.entries().next().value as [string, TargetState]
      targets.delete(oldest)
      durations.remove({ target: oldest, kind: old.kind })
    }
    return t
  }
  const offs = [
    events.on('probes.results', ({ results }) => {
      for (const r of results) {
        const t = state(r)
        t.sent++
        t.success = r.status === 'ok' ? 1 : 0
        if (r.status === 'ok' && r.rtt_ms !== null) {
          t.received++
          durations.observe({ target: r.target, kind: r.kind }, r.rtt_ms / 1000)
          t.phases = r.phases_ms ?? {}
        }
      }
    }),
    events.on('probes.stats', (s) => {
      stats = new Map(s.targets.map((t) => [t.target, t]))
    }),
    events.on('probes.state', (s) => {
      if (!s.active) stats.clear()
    }),
  ]
  const running = (f: (t: string, s: ProbeTargetStats) => CollectedSample[]) => () =>
    [...stats].flatMap(([t, s]) => f(t, s))
  const labels = (target: string, s: ProbeTargetStats) => ({ target, kind: s.window.kind })
  new Collected(
    'flowscope_probe_success',
    'Whether the latest probe of the target succeeded (probes that are running).',
    'gauge',
    running((t, s) => {
      const v = targets.get(t)?.success
      return v === null || v === undefined ? [] : [{ labels: labels(t, s), value: v }]
    }),
  ).register(registry)
  new Collected(
    'flowscope_probe_loss_ratio',
    'Lost probes / probes over the recent window (the last window_n probes).',
    'gauge',
    running((t, s) =>
      s.window.sent > 0 ? [{ labels: labels(t, s), value: s.window.loss_pct / 100 }] : [],
    ),
  ).register(registry)
  new Collected(
    'flowscope_probe_jitter_seconds',
    "Mean |RTT(n) - RTT(n-1)| over the recent window (mtr's jitter).",
    'gauge',
    running((t, s) =>
      s.window.jitter_ms.mean === null
        ? []
        : [{ labels: labels(t, s), value: s.window.jitter_ms.mean / 1000 }],
    ),
  ).register(registry)
  new Collected(
    'flowscope_probe_rtt_seconds',
    'RTT over the recent window: stat="avg", "p95", "min" or "max".',
    'gauge',
    running((t, s) =>
      (['avg', 'p95', 'min', 'max'] as const).flatMap((stat) => {
        const v = s.window.rtt_ms[stat]
        return v === null ? [] : [{ labels: { ...labels(t, s), stat }, value: v / 1000 }]
      }),
    ),
  ).register(registry)
  new Collected(
    'flowscope_probe_phase_duration_seconds',
    'Phases of the latest successful probe: dns, connect (TCP), tls, ttfb and total (http/https), query (dns).',
    'gauge',
    running((t, s) =>
      Object.entries(targets.get(t)?.phases ?? {}).map(([phase, ms]) => ({
        labels: { ...labels(t, s), phase },
        value: ms / 1000,
      })),
    ),
  ).register(registry)
  for (const [name, field, help] of [
    ['flowscope_probe_sent_total', 'sent', 'Probes with an outcome (ok, timeout or error).'],
    ['flowscope_probe_received_total', 'received', 'Probes answered in time.'],
  ] as const)
    new Collected(name, help, 'counter', () =>
      [...targets].map(([target, t]) => ({ labels: { target, kind: t.kind }, value: t[field] })),
    ).register(registry)
  return () => offs.forEach((off) => off())
}
