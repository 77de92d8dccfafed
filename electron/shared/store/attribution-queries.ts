/**
 * History grouped by who is talking: process, service, country and network (asn), from the
 * answers each conversation keeps (attribution-writes.ts), with the same columns and the same
 * rules as the capture report's rows (shared/report/rows.ts processRows, serviceRows,
 * countryRows, asnRows), so `report --by process` over a recorded capture says what the capture
 * itself said. Plus the conversation query's who-is-talking columns.
 */
import type { HistoryRow } from '../../../common/history'
import { UNKNOWN } from '../report/rows'
import { isoMicrosFast as isoMicros } from './time'

export type AttributionGroupBy = 'process' | 'service' | 'country' | 'asn'

export const isAttributionGroup = (by: string): by is AttributionGroupBy =>
  by === 'process' || by === 'service' || by === 'country' || by === 'asn'

/** The conversation query's extra fields, as json_object() pairs, and joins (names live per
 * address). */
export const WHO_CONVERSATION_JSON =
  "'process', c.process, 'pid', c.pid, 'service', c.service, 'name_a', na.name, " +
  "'name_b', nb.name, 'country_a', c.country_a, 'country_b', c.country_b, 'asn_a', c.asn_a, " +
  "'asn_b', c.asn_b"
export const WHO_CONVERSATION_JOIN =
  'LEFT JOIN host_names na ON na.address = c.address_a ' +
  'LEFT JOIN host_names nb ON nb.address = c.address_b'

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null)

export function whoConversationFields(r: Record<string, unknown>) {
  return {
    process: str(r.process),
    pid: str(r.process) === null ? null : num(r.pid),
    service: str(r.service),
    name_a: str(r.name_a),
    name_b: str(r.name_b),
    country_a: str(r.country_a),
    country_b: str(r.country_b),
    asn_a: num(r.asn_a),
    asn_b: num(r.asn_b),
  }
}

/** What planQuery hands over: its tiers' segments as SQL, and the grouping's shape. */
export interface GroupContext {
  /** SELECT of the conversation series rows of these segments (pushes their params). */
  series: () => string
  /** Bucketed top N: the series rows of the whole range that choose the N groups. */
  topSeries: () => string
  /** Bucket expression over bucket_s ('NULL' when not bucketed). */
  b: string
  bucketed: boolean
  /** N groups (bucketed top N), or null. */
  top: number | null
}

const U = `'${UNKNOWN}'`

/**
 * Per grouping: rows (bucket_s, k1, k2, k3, conv_id, ps, bs, pr, br, first_us, last_us) of one
 * side of a conversation's series row; ps/bs are what the side sent (service: both directions).
 */
const SIDES: Record<AttributionGroupBy, (src: string) => string> = {
  // The owner's endpoint; no owner: "unknown", counted from endpoint A (as processRows).
  process: (src) => {
    const known = 'c.process IS NOT NULL AND c.pid IS NOT NULL'
    const flip = `${known} AND c.process_side = 'b'`
    return `SELECT s.bucket_s, CASE WHEN ${known} THEN c.process ELSE ${U} END AS k1,
        CASE WHEN ${known} THEN c.pid END AS k2, NULL AS k3, s.conv_id,
        CASE WHEN ${flip} THEN s.packets_b_to_a ELSE s.packets_a_to_b END AS ps,
        CASE WHEN ${flip} THEN s.bytes_b_to_a ELSE s.bytes_a_to_b END AS bs,
        CASE WHEN ${flip} THEN s.packets_a_to_b ELSE s.packets_b_to_a END AS pr,
        CASE WHEN ${flip} THEN s.bytes_a_to_b ELSE s.bytes_b_to_a END AS br,
        s.first_us, s.last_us
      FROM ${src} s JOIN conversations c ON c.id = s.conv_id`
  },
  service: (src) =>
    `SELECT s.bucket_s, coalesce(c.service, ${U}) AS k1, c.protocol AS k2,
        CASE WHEN c.service IS NOT NULL THEN c.service_port END AS k3, s.conv_id,
        s.packets_a_to_b + s.packets_b_to_a AS ps, s.bytes_a_to_b + s.bytes_b_to_a AS bs,
        0 AS pr, 0 AS br, s.first_us, s.last_us
      FROM ${src} s JOIN conversations c ON c.id = s.conv_id`,
  country: (src) =>
    twoSides(
      src,
      (x) => `coalesce(c.country_${x}, ${U})`,
      () => 'NULL',
    ),
  // A special range: no AS, its label as the organisation; nothing known: "unknown".
  asn: (src) =>
    twoSides(
      src,
      (x) => `c.asn_${x}`,
      (x) =>
        `CASE WHEN c.asn_${x} IS NOT NULL THEN coalesce(c.as_org_${x}, '') ELSE coalesce(c.as_org_${x}, ${U}) END`,
    ),
}

/** Both endpoints of each row: A sends a->b, B sends b->a (as the host query). */
function twoSides(src: string, k1: (x: 'a' | 'b') => string, k2: (x: 'a' | 'b') => string) {
  const side = (x: 'a' | 'b', y: 'a' | 'b') =>
    `SELECT s.bucket_s, ${k1(x)} AS k1, ${k2(x)} AS k2, NULL AS k3, s.conv_id,
        s.packets_${x}_to_${y} AS ps, s.bytes_${x}_to_${y} AS bs,
        s.packets_${y}_to_${x} AS pr, s.bytes_${y}_to_${x} AS br, s.first_us, s.last_us
      FROM ${src} s JOIN conversations c ON c.id = s.conv_id`
  return `${side('a', 'b')} UNION ALL ${side('b', 'a')}`
}

const bucketIso = (v: unknown): string | null => (typeof v === 'number' ? isoMicros(v * 1e6) : null)

const MAP: Record<AttributionGroupBy, (r: Record<string, unknown>) => HistoryRow> = {
  process: (r) => ({
    bucket_start: bucketIso(r.b),
    process: r.k1 as string,
    pid: num(r.k2),
    ...sided(r),
  }),
  country: (r) => ({ bucket_start: bucketIso(r.b), country: r.k1 as string, ...sided(r) }),
  asn: (r) => ({
    bucket_start: bucketIso(r.b),
    asn: num(r.k1),
    as_org: r.k2 as string,
    ...sided(r),
  }),
  service: (r) => ({
    bucket_start: bucketIso(r.b),
    service: r.k1 as string,
    protocol: r.k2 as string,
    port: num(r.k3),
    packets: r.tps as number,
    bytes: r.tbs as number,
    conversations: r.conversations as number,
    first_seen: isoMicros(r.first_us as number),
    last_seen: isoMicros(r.last_us as number),
  }),
}

/** A side's sums (tps, tbs: sent; tpr, tbr: received), count and first/last seen. */
export const sided = (r: Record<string, unknown>) => ({
  packets_sent: r.tps as number,
  bytes_sent: r.tbs as number,
  packets_received: r.tpr as number,
  bytes_received: r.tbr as number,
  conversations: r.conversations as number,
  first_seen: isoMicros(r.first_us as number),
  last_seen: isoMicros(r.last_us as number),
})

/** Same order as the report rows: most bytes first, then by key. */
const KEYS = 'k1, k2, k3'

export function planAttributionGroup(
  by: AttributionGroupBy,
  ctx: GroupContext,
): { sql: string; map: (r: Record<string, unknown>) => HistoryRow } {
  const rows = SIDES[by]
  const topN = ctx.bucketed && ctx.top !== null
  // Params are pushed in the order the SQL text is built: the top's segments come first.
  const top = topN
    ? `topsrc AS NOT MATERIALIZED (${ctx.topSeries()}),
      top AS (SELECT ${KEYS} FROM (${rows('topsrc')}) GROUP BY ${KEYS}
        ORDER BY sum(bs + br) DESC, ${KEYS} LIMIT ${ctx.top}),`
    : ''
  const inTop = topN
    ? 'WHERE EXISTS (SELECT 1 FROM top t WHERE t.k1 IS sides.k1 AND t.k2 IS sides.k2 AND t.k3 IS sides.k3)'
    : ''
  const groupB = ctx.bucketed ? 'b, ' : ''
  const tail = ctx.top !== null && !ctx.bucketed ? ` LIMIT ${ctx.top}` : ''
  const sql = `WITH ${top} src AS NOT MATERIALIZED (${ctx.series()}),
    sides AS (${rows('src')})
    SELECT ${ctx.b} AS b, ${KEYS}, sum(ps) AS tps, sum(bs) AS tbs, sum(pr) AS tpr, sum(br) AS tbr,
      count(DISTINCT conv_id) AS conversations, min(first_us) AS first_us, max(last_us) AS last_us
    FROM sides ${inTop} GROUP BY ${groupB}${KEYS}
    ORDER BY ${groupB}tbs + tbr DESC, ${KEYS}${tail}`
  return { sql, map: MAP[by] }
}
