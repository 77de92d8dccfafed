/** Probe results and alert events over a range (engine functions for the contract). */
import {
  AlertHistoryQuery,
  HISTORY_MAX_ROWS,
  ProbeHistoryQuery,
  type AlertHistoryRow,
  type HistoryQueryMeta,
  type HistoryStep,
  type ProbeHistoryRow,
} from '../../../common/history'
import { isoMicros } from '../report/time'
import type { Db } from './open'
import { MAX_BUCKETS, planSegments } from './queries'
import { readPrunedBelow, readWatermarks } from './rollup'
import { STEP_S, STEPS } from './tiers'
import type { ProbeSums } from './writer'

interface RawProbe extends ProbeSums {
  b: number | null
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

export function probeRow(r: RawProbe): ProbeHistoryRow {
  const n = r.rtt_count
  const mean = n > 0 ? r.rtt_sum_ms / n : null
  const variance = mean !== null ? Math.max(0, r.rtt_sumsq_ms2 / n - mean * mean) : null
  return {
    bucket_start: r.b === null ? null : isoMicros(r.b * 1e6),
    kind: r.kind,
    target: r.target,
    sent: r.sent,
    received: r.received,
    loss_pct: r.sent > 0 ? round3(100 * (1 - r.received / r.sent)) : null,
    rtt_avg_ms: mean === null ? null : round3(mean),
    rtt_min_ms: r.rtt_min_ms,
    rtt_max_ms: r.rtt_max_ms,
    rtt_stddev_ms: variance === null ? null : round3(Math.sqrt(variance)),
    jitter_ms: r.jitter_count > 0 ? round3(r.jitter_sum_ms / r.jitter_count) : null,
  }
}

/** At most `max_rows` rows (then `truncated`). */
export function queryProbes(
  db: Db,
  input: ProbeHistoryQuery,
  max_rows = HISTORY_MAX_ROWS,
): { meta: HistoryQueryMeta; rows: ProbeHistoryRow[]; truncated: boolean } {
  const q = ProbeHistoryQuery.parse(input)
  const bucketed = q.bucket !== null
  const plan = planSegments(
    q.from_s,
    q.to_s,
    bucketed ? STEPS.indexOf(q.bucket as HistoryStep) : 0,
    readPrunedBelow(db, 'probes'),
    readWatermarks(db),
    bucketed ? null : MAX_BUCKETS,
  )
  const step_s = STEP_S[plan.tier] as number
  const params: (number | string)[] = []
  const src =
    plan.segments
      .map((s) => {
        params.push(s.step_s, s.lo_s, s.hi_s)
        return 'SELECT * FROM probe_series WHERE step_s = ? AND bucket_s >= ? AND bucket_s < ?'
      })
      .join(' UNION ALL ') || 'SELECT * FROM probe_series WHERE 0'
  const where: string[] = []
  if (q.kind !== null) {
    where.push('p.kind = ?')
    params.push(q.kind)
  }
  if (q.target !== null) {
    where.push('p.target = ?')
    params.push(q.target)
  }
  const b = bucketed ? `(s.bucket_s / ${step_s}) * ${step_s}` : 'NULL'
  const sql = `SELECT ${b} AS b, p.kind, p.target, sum(sent) AS sent, sum(received) AS received,
      sum(rtt_count) AS rtt_count, sum(rtt_sum_ms) AS rtt_sum_ms, sum(rtt_sumsq_ms2) AS rtt_sumsq_ms2,
      min(rtt_min_ms) AS rtt_min_ms, max(rtt_max_ms) AS rtt_max_ms,
      sum(jitter_sum_ms) AS jitter_sum_ms, sum(jitter_count) AS jitter_count
    FROM (${src}) s JOIN probes p ON p.id = s.probe_id
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY ${bucketed ? 'b, ' : ''}p.id ORDER BY ${bucketed ? 'b, ' : ''}p.kind, p.target`
  const rows: ProbeHistoryRow[] = []
  let truncated = false
  for (const raw of db.prepare(sql).iterate(...params)) {
    if (rows.length === max_rows) {
      truncated = true
      break
    }
    rows.push(probeRow(raw as RawProbe))
  }
  const tier = STEPS[plan.tier] as HistoryStep
  return {
    meta: {
      tier,
      step: bucketed ? tier : null,
      from: isoMicros(plan.from_s * 1e6),
      to: isoMicros(plan.to_s * 1e6),
    },
    rows,
    truncated,
  }
}

/** Alert events in [from, to), oldest first, at most `limit`. */
export function queryAlerts(db: Db, input: AlertHistoryQuery): AlertHistoryRow[] {
  const q = AlertHistoryQuery.parse(input)
  const rows = db
    .prepare(
      'SELECT time_us, rule, severity, message, value FROM alerts WHERE time_us >= ? AND time_us < ? ORDER BY time_us, id LIMIT ?',
    )
    .all(q.from_s * 1e6, q.to_s * 1e6, q.limit) as {
    time_us: number
    rule: string
    severity: string
    message: string
    value: number | null
  }[]
  return rows.map(({ time_us, ...r }) => ({ time: isoMicros(time_us), ...r }))
}
