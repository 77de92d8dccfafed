import type { ProbeStats } from '../../../common/probes'

const round = (x: number | null, digits = 3): number | null =>
  x === null ? null : Number(x.toFixed(digits))

/** The `--format json` object of one target (exactly these keys; phases_ms for http/https/dns). */
export function statsToJson(s: ProbeStats): Record<string, unknown> {
  const o: Record<string, unknown> = {
    target: s.target,
    kind: s.kind,
    sent: s.sent,
    received: s.received,
    loss_pct: round(s.loss_pct),
    rtt_ms: {
      min: round(s.rtt_ms.min),
      avg: round(s.rtt_ms.avg),
      max: round(s.rtt_ms.max),
      stddev: round(s.rtt_ms.stddev),
      p50: round(s.rtt_ms.p50),
      p95: round(s.rtt_ms.p95),
      p99: round(s.rtt_ms.p99),
    },
    jitter_ms: {
      mean: round(s.jitter_ms.mean),
      max: round(s.jitter_ms.max),
      rfc3550: round(s.jitter_ms.rfc3550),
    },
  }
  if (s.phases_ms)
    o.phases_ms = Object.fromEntries(Object.entries(s.phases_ms).map(([k, v]) => [k, round(v)]))
  return o
}

const RTT_KEYS = ['min', 'avg', 'max', 'stddev', 'p50', 'p95', 'p99'] as const
const JITTER_KEYS = ['mean', 'max', 'rfc3550'] as const

/** The `--format csv` rows: the JSON fields flattened (rtt_min_ms, jitter_mean_ms, phase_ttfb_ms ...). */
export function statsToCsvRows(all: ProbeStats[]): {
  header: string[]
  rows: (string | number)[][]
} {
  const phases = [...new Set(all.flatMap((s) => Object.keys(s.phases_ms ?? {})))]
  const header = [
    'target',
    'kind',
    'sent',
    'received',
    'loss_pct',
    ...RTT_KEYS.map((k) => `rtt_${k}_ms`),
    ...JITTER_KEYS.map((k) => `jitter_${k}_ms`),
    ...phases.map((p) => `phase_${p}_ms`),
  ]
  const cell = (x: number | null | undefined) =>
    x === null || x === undefined ? '' : (round(x) as number)
  const rows = all.map((s) => [
    s.target,
    s.kind,
    s.sent,
    s.received,
    cell(s.loss_pct),
    ...RTT_KEYS.map((k) => cell(s.rtt_ms[k])),
    ...JITTER_KEYS.map((k) => cell(s.jitter_ms[k])),
    ...phases.map((p) => cell(s.phases_ms?.[p])),
  ])
  return { header, rows }
}

const ms = (x: number | null) =>
  x === null ? '-' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0)

/** mtr-like table columns. */
export function statsToTableRows(
  all: ProbeStats[],
  last: Map<string, number | null>,
): { header: string[]; rows: string[][] } {
  const header = [
    'TARGET',
    'LOSS%',
    'SNT',
    'RCV',
    'LAST',
    'AVG',
    'BEST',
    'WRST',
    'STDEV',
    'P95',
    'JTTR',
    'JMAX',
    'LATE',
    'DUP',
  ]
  const rows = all.map((s) => [
    s.target,
    s.loss_pct.toFixed(1),
    String(s.sent),
    String(s.received),
    ms(last.get(s.target) ?? null),
    ms(s.rtt_ms.avg),
    ms(s.rtt_ms.min),
    ms(s.rtt_ms.max),
    ms(s.rtt_ms.stddev),
    ms(s.rtt_ms.p95),
    ms(s.jitter_ms.mean),
    ms(s.jitter_ms.max),
    String(s.late),
    String(s.duplicates),
  ])
  return { header, rows }
}
