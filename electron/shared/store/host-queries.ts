/**
 * History grouped by host, from the per-host series (`host_series`, derived-series.ts):
 * packets, bytes and first/last seen add up across buckets and tiers, so every segment of the
 * plan is read from host rows (a few per bucket, through `host_series_host` for a top N's
 * hosts). The conversation count does not add up across buckets: a bucket read whole at the
 * query's own step takes it from its host row; every other bucket (the edges, the part not
 * rolled up yet) and an unbucketed range count the host's conversations (through the address
 * indexes) that have a row in the bucket's segments (one index probe per conversation and
 * segment, through `conv_series_conv`), so a host that is an endpoint of every conversation
 * costs one probe per conversation, not one row per conversation and bucket.
 */
import type { HistoryRow } from '../../../common/history'
import { sided } from './attribution-queries'
import { isoMicrosFast as isoMicros } from './time'
import type { Segment } from './queries'

export interface HostPlanInput {
  segments: Segment[]
  /** Bucketed top N: the segments over which the N hosts are chosen. */
  topSegments: Segment[]
  /** The query's bucket step, or null (unbucketed). */
  step_s: number | null
  top: number | null
  params: number[]
}

const HOST_COLS =
  'step_s, bucket_s, host_id AS g, packets_sent AS ps, bytes_sent AS bs, packets_received AS pr, ' +
  'bytes_received AS br, conversations AS n, bucket_s * 1000000 + first_off_us AS first_us, ' +
  'bucket_s * 1000000 + last_off_us AS last_us'

function hostRows(segments: Segment[], params: number[], onlyTop: boolean): string {
  if (segments.length === 0) return `SELECT ${HOST_COLS} FROM host_series WHERE 0`
  return segments
    .map((s) => {
      params.push(s.step_s, s.lo_s, s.hi_s)
      // A few hosts: through the (host_id, step_s, bucket_s) index, not every host's rows.
      const from = onlyTop ? 'host_series INDEXED BY host_series_host' : 'host_series'
      const top = onlyTop ? 'host_id IN (SELECT g FROM top) AND ' : ''
      return `SELECT ${HOST_COLS} FROM ${from} WHERE ${top}step_s = ? AND bucket_s >= ? AND bucket_s < ?`
    })
    .join(' UNION ALL ')
}

/**
 * Conversations of host agg.address with a row in `segments` (bucketed: within agg's bucket).
 * `OR` over the two address indexes, then EXISTS per segment through conv_series_conv.
 */
function conversationCount(segments: Segment[], step_s: number | null, params: number[]): string {
  if (segments.length === 0) return '0'
  // Bucketed: within agg's bucket too (two-argument max/min are scalar).
  const [lo, hi] = step_s === null ? ['?', '?'] : ['max(?, agg.b)', `min(?, agg.b + ${step_s})`]
  const exists = segments.map((s) => {
    params.push(s.step_s, s.lo_s, s.hi_s)
    return `EXISTS (SELECT 1 FROM conv_series s INDEXED BY conv_series_conv WHERE s.conv_id = c.id
      AND s.step_s = ? AND s.bucket_s >= ${lo} AND s.bucket_s < ${hi})`
  })
  return `(SELECT count(*) FROM conversations c WHERE (c.address_a = agg.address OR c.address_b = agg.address)
    AND (${exists.join(' OR ')}))`
}

export function planHostGroup(input: HostPlanInput): {
  sql: string
  map: (r: Record<string, unknown>) => HistoryRow
} {
  const { segments, topSegments, step_s, top, params } = input
  const bucketed = step_s !== null
  const topN = bucketed && top !== null
  // Params are pushed in the order their SQL appears.
  // Ties go by address, as everywhere else.
  const topCte = topN
    ? `top AS (SELECT g FROM (${hostRows(topSegments, params, false)}) GROUP BY g
        ORDER BY sum(bs + br) DESC, (SELECT address FROM hosts WHERE id = g) LIMIT ${top}),`
    : ''
  const src = hostRows(segments, params, topN)
  const b = bucketed ? `(bucket_s / ${step_s}) * ${step_s}` : 'NULL'
  // Unbucketed top N: the N hosts first, so only they have their conversations counted.
  const limit =
    !bucketed && top !== null
      ? `ORDER BY bytes_sent + bytes_received DESC, h.address LIMIT ${top}`
      : ''
  // A bucket read whole at the query's step has its host row's count; the rest are counted.
  const counted = bucketed ? segments.filter((g) => g.step_s !== step_s) : segments
  const count = conversationCount(counted, step_s, params)
  const sql = `WITH ${topCte} src AS NOT MATERIALIZED (${src}),
    grouped AS (SELECT ${b} AS b, g, sum(ps) AS packets_sent, sum(bs) AS bytes_sent,
      sum(pr) AS packets_received, sum(br) AS bytes_received,
      min(first_us) AS first_us, max(last_us) AS last_us,
      ${bucketed ? `max(CASE WHEN step_s = ${step_s} THEN n END)` : 'NULL'} AS n
      FROM src GROUP BY ${bucketed ? 'b, ' : ''}g),
    agg AS MATERIALIZED (SELECT grouped.*, h.address FROM grouped JOIN hosts h ON h.id = grouped.g
      ${limit})
    SELECT agg.b, agg.address, packets_sent AS tps, bytes_sent AS tbs, packets_received AS tpr,
      bytes_received AS tbr, coalesce(agg.n, ${count}) AS conversations, first_us, last_us
    FROM agg ORDER BY ${bucketed ? 'agg.b, ' : ''}bytes_sent + bytes_received DESC, address`
  const map = (r: Record<string, unknown>): HistoryRow => ({
    bucket_start: typeof r.b === 'number' ? isoMicros(r.b * 1e6) : null,
    address: r.address as string,
    ...sided(r),
  })
  return { sql, map }
}
