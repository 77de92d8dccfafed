/**
 * History queries: a time range, grouped by interface, conversation, host or protocol,
 * optionally bucketed, optionally the top N groups by bytes.
 *
 * The range is read at one tier (the finest that retention has not pruned for it). That tier
 * lacks only its most recent buckets, the ones not rolled up into it yet; those are read from
 * the finer tiers that hold them (split at the rollup watermarks), so a query always sees every
 * count exactly once. Rows come out of one SQL statement, so exports can stream them.
 */
import {
  HistoryQuery,
  type HistoryGroupBy,
  type HistoryQueryMeta,
  type HistoryResult,
  type HistoryRow,
  type HistoryStep,
} from '../../../common/history'
import {
  ASN_COLUMNS,
  CONVERSATION_REPORT_COLUMNS,
  COUNTRY_COLUMNS,
  HOST_COLUMNS,
  PROCESS_COLUMNS,
  PROTOCOL_COLUMNS,
  SERVICE_COLUMNS,
} from '../report/rows'
import {
  isAttributionGroup,
  planAttributionGroup,
  WHO_CONVERSATION_JOIN,
  WHO_CONVERSATION_JSON,
  whoConversationFields,
} from './attribution-queries'
import { isoMicrosFast as isoMicros } from './time'
import { planHostGroup } from './host-queries'
import type { Db } from './open'
import { readPrunedBelow, readWatermarks } from './rollup'
import { bucketStart, STEP_S, STEPS } from './tiers'

/** Column order of each grouping, as exported (bucket_start first when bucketed): the capture
 * report's columns for every grouping but interface. */
export const COLUMNS: Record<HistoryGroupBy, readonly string[]> = {
  conversation: CONVERSATION_REPORT_COLUMNS,
  process: PROCESS_COLUMNS,
  service: SERVICE_COLUMNS,
  country: COUNTRY_COLUMNS,
  asn: ASN_COLUMNS,
  interface: ['interface', 'rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'drops'],
  host: HOST_COLUMNS,
  protocol: PROTOCOL_COLUMNS,
}

export interface Segment {
  step_s: number
  lo_s: number
  hi_s: number
}

export interface Plan {
  meta: HistoryQueryMeta
  columns: string[]
  segments: Segment[]
  sql: string
  params: number[]
  /** Raw SQL row -> exported row. */
  map: (raw: Record<string, unknown>) => HistoryRow
}

/**
 * Most buckets a bucketed history query returns per group: a finer step is coarsened to the
 * finest stored step within it (24 h: 1 min, 1,441 buckets; 10 s buckets up to 4 h; 30 d: 1 h).
 * A chart has no use for more points, and 10 groups of 8,640 were past the row limit anyway.
 * (Probe queries use it only unbucketed.)
 */
export const MAX_BUCKETS = 1500

const ceilTo = (t: number, step: number) => Math.ceil(t / step) * step

/**
 * Which slices of which tiers make up [from, to). The bulk of the range is read at one tier
 * (`tier`): the finest still kept for the range, or the requested bucket step, or (unbucketed)
 * coarse enough for at most MAX_BUCKETS buckets. The partial coarse buckets at either edge and
 * the recent part not rolled up yet come from finer tiers where they are still kept, so the
 * edges are exact to 10 s; where they are not kept, the edge widens to a whole bucket of the
 * tier that holds it (`from_s`/`to_s` tell what was read).
 * `pruned[i]`: tier i holds nothing before it; `done[i]`: tier i+1 holds tier i below it.
 */
export function planSegments(
  from_s: number,
  to_s: number,
  minTier: number,
  pruned: readonly number[],
  done: readonly number[],
  /** Unbucketed: read coarse enough for at most this many buckets; null: no limit. */
  maxBuckets: number | null = MAX_BUCKETS,
): { tier: number; from_s: number; to_s: number; segments: Segment[] } {
  const last = STEP_S.length - 1
  const step = (t: number) => STEP_S[t] as number
  // Tier t is complete for buckets in [pruned[t], W(t)); the finest tier up to now.
  const W = (t: number) => (t === 0 ? Infinity : (done[t - 1] as number))
  const holds = (t: number, at: number) => bucketStart(at, step(t)) >= (pruned[t] as number)
  const lo0 = bucketStart(from_s, step(0))
  const hi0 = ceilTo(to_s, step(0))
  let tier = minTier
  while (tier < last && !holds(tier, lo0)) tier++
  if (maxBuckets !== null) while (tier < last && (hi0 - lo0) / step(tier) > maxBuckets) tier++
  while (tier < last && !holds(tier, lo0)) tier++

  const segments: Segment[] = []
  const cover = (lo: number, hi: number, t: number): void => {
    if (lo >= hi) return
    if (t === 0) {
      segments.push({ step_s: step(0), lo_s: lo, hi_s: hi })
      return
    }
    const s = step(t)
    let a = ceilTo(lo, s)
    if (a > lo && !holds(t - 1, lo)) a = bucketStart(lo, s) // head not kept finer: whole bucket
    let b = Math.min(bucketStart(hi, s), W(t))
    if (b < hi && b < W(t) && !holds(t - 1, b)) b = Math.min(ceilTo(hi, s), W(t))
    if (a >= b) return cover(lo, hi, t - 1)
    cover(lo, a, t - 1)
    segments.push({ step_s: s, lo_s: a, hi_s: b })
    cover(b, hi, t - 1)
  }
  cover(lo0, hi0, tier)
  const from = segments.length ? Math.min(...segments.map((g) => g.lo_s)) : lo0
  const to = segments.length ? Math.max(...segments.map((g) => g.hi_s)) : hi0
  return { tier, from_s: from, to_s: to, segments }
}

/** One SELECT per segment; `where` restricts the rows further (e.g. to the top N's ids). */
function union(
  table: string,
  cols: string,
  segments: Segment[],
  params: number[],
  where = '',
): string {
  if (segments.length === 0) return `SELECT ${cols} FROM ${table} WHERE 0`
  return segments
    .map((s) => {
      params.push(s.step_s, s.lo_s, s.hi_s)
      // Restricted to a few ids: read them through the (id, step_s, bucket_s) index, not the
      // whole range (the planner, without statistics, prefers the primary key's range).
      const from = where && table === 'conv_series' ? `${table} INDEXED BY conv_series_conv` : table
      return `SELECT ${cols} FROM ${from} WHERE ${where}step_s = ? AND bucket_s >= ? AND bucket_s < ?`
    })
    .join(' UNION ALL ')
}

const TOP_CONVS = 'conv_id IN (SELECT conv_id FROM top) AND '

const CONV_COLS =
  'bucket_s, conv_id, packets_a_to_b, bytes_a_to_b, packets_b_to_a, bytes_b_to_a, retransmissions, ' +
  'bucket_s * 1000000 + first_off_us AS first_us, bucket_s * 1000000 + last_off_us AS last_us'

export function planQuery(db: Db, input: HistoryQuery): Plan {
  const q = HistoryQuery.parse(input)
  const bucketed = q.bucket !== null
  // Each grouping plans against the retention of the rows it reads (hosts: host_series).
  const kind = q.by === 'interface' ? 'interfaces' : q.by === 'host' ? 'hosts' : 'conversations'
  const pruned = readPrunedBelow(db, kind)
  const done = readWatermarks(db)
  const last = STEP_S.length - 1
  // Unbucketed: the bulk from the coarsest tier, the edges and the part not rolled up yet from
  // finer ones (as exact as reading a finer tier throughout, with far fewer rows). Bucketed: the
  // requested step, or the finest still kept.
  const minTier = bucketed ? STEPS.indexOf(q.bucket as HistoryStep) : last
  // Bucketed: at most MAX_BUCKETS buckets; a finer step is coarsened (meta.step says to what).
  const { tier, from_s, to_s, segments } = planSegments(
    q.from_s,
    q.to_s,
    minTier,
    pruned,
    done,
    bucketed ? MAX_BUCKETS : null,
  )
  const step_s = STEP_S[tier] as number
  // What the bulk was read at: the coarsest tier a segment came from.
  const readTier = bucketed
    ? tier
    : segments.reduce((t, g) => Math.max(t, STEP_S.indexOf(g.step_s)), 0)
  const meta: HistoryQueryMeta = {
    tier: STEPS[readTier] as HistoryStep,
    step: bucketed ? (STEPS[tier] as HistoryStep) : null,
    from: isoMicros(from_s * 1e6),
    to: isoMicros(to_s * 1e6),
  }
  // Bucketed top N: the N groups are chosen over the whole range from the coarse plan (few
  // rows), then only their buckets are read, through the (conv_id, step_s, bucket_s) index.
  const topSegments =
    bucketed && q.top !== null
      ? planSegments(q.from_s, q.to_s, last, pruned, done, null).segments
      : []
  const params: number[] = []
  const b = bucketed ? `(bucket_s / ${step_s}) * ${step_s}` : 'NULL'
  const groupB = bucketed ? 'b, ' : ''
  const orderB = bucketed ? 'b, ' : ''
  const limit = q.top ?? -1
  const tail = q.top !== null && !bucketed ? ` LIMIT ${q.top}` : ''
  const topN = bucketed && q.top !== null
  let sql: string
  let map: Plan['map']

  if (q.by === 'interface') {
    const cols = 'bucket_s, iface_id AS g, rx_bytes, tx_bytes, rx_packets, tx_packets, drops'
    const top = topN
      ? `top AS (SELECT g FROM (${union('iface_series', cols, topSegments, params)})
          GROUP BY g ORDER BY sum(rx_bytes + tx_bytes) DESC, g LIMIT ${limit}),`
      : ''
    const src = union('iface_series', cols, segments, params)
    sql = `WITH ${top} src AS NOT MATERIALIZED (${src}),
      agg AS (SELECT ${b} AS b, g, sum(rx_bytes) AS rx_bytes, sum(tx_bytes) AS tx_bytes,
        sum(rx_packets) AS rx_packets, sum(tx_packets) AS tx_packets, sum(drops) AS drops
        FROM src ${topN ? 'WHERE g IN (SELECT g FROM top)' : ''} GROUP BY ${groupB}g)
      SELECT agg.*, i.name AS interface FROM agg JOIN interfaces i ON i.id = agg.g
      ORDER BY ${orderB}rx_bytes + tx_bytes DESC, interface${tail}`
    map = (r) => ({
      bucket_start: bucketIso(r.b),
      interface: r.interface as string,
      rx_bytes: r.rx_bytes as number,
      tx_bytes: r.tx_bytes as number,
      rx_packets: r.rx_packets as number,
      tx_packets: r.tx_packets as number,
      drops: r.drops as number,
    })
  } else if (q.by === 'conversation') {
    const top = topN
      ? `top AS (SELECT conv_id FROM (${union('conv_series', CONV_COLS, topSegments, params)})
          GROUP BY conv_id ORDER BY sum(bytes_a_to_b + bytes_b_to_a) DESC, conv_id LIMIT ${limit}),`
      : ''
    const src = union('conv_series', CONV_COLS, segments, params, topN ? TOP_CONVS : '')
    // A conversation's own fields travel as one JSON column (one string per row, not fifteen
    // values). Bucketed top N: only on the row of its first bucket, and the map remembers them
    // (N at most) for its other rows: 1,440 buckets of 10 conversations would otherwise carry
    // the same fields 14,400 times, most of such a query's time.
    const ranked = topN
      ? 'SELECT agg.*, row_number() OVER (PARTITION BY conv_id ORDER BY b) AS rn FROM agg'
      : 'SELECT agg.*, 1 AS rn FROM agg'
    sql = `WITH ${top} src AS NOT MATERIALIZED (${src}),
      agg AS (SELECT ${b} AS b, conv_id, sum(packets_a_to_b) AS packets_a_to_b,
        sum(bytes_a_to_b) AS bytes_a_to_b, sum(packets_b_to_a) AS packets_b_to_a,
        sum(bytes_b_to_a) AS bytes_b_to_a, sum(retransmissions) AS retransmissions,
        min(first_us) AS first_us, max(last_us) AS last_us
        FROM src GROUP BY ${groupB}conv_id),
      ranked AS (${ranked})
      SELECT ranked.*, c.handshake_rtt_ms, CASE WHEN c.id IS NOT NULL THEN json_object(
          'protocol', c.protocol, 'address_a', c.address_a, 'port_a', c.port_a,
          'address_b', c.address_b, 'port_b', c.port_b, ${WHO_CONVERSATION_JSON}) END AS conv
      FROM ranked LEFT JOIN conversations c ON c.id = ranked.conv_id AND ranked.rn = 1
        ${WHO_CONVERSATION_JOIN}
      ORDER BY ${orderB}bytes_a_to_b + bytes_b_to_a DESC, conv_id${tail}`
    const first = new Map<unknown, Record<string, unknown>>()
    map = (r) => {
      let c: Record<string, unknown>
      if (r.rn === 1) {
        c = JSON.parse(r.conv as string) as Record<string, unknown>
        c.handshake_rtt_ms = r.handshake_rtt_ms // a REAL: not through JSON text
        if (topN) first.set(r.conv_id, c)
      } else c = first.get(r.conv_id) as Record<string, unknown>
      return {
        bucket_start: bucketIso(r.b),
        protocol: c.protocol as string,
        address_a: c.address_a as string,
        port_a: port(c.port_a),
        address_b: c.address_b as string,
        port_b: port(c.port_b),
        packets_a_to_b: r.packets_a_to_b as number,
        bytes_a_to_b: r.bytes_a_to_b as number,
        packets_b_to_a: r.packets_b_to_a as number,
        bytes_b_to_a: r.bytes_b_to_a as number,
        first_seen: isoMicros(r.first_us as number),
        last_seen: isoMicros(r.last_us as number),
        retransmissions: r.retransmissions as number,
        // Kept to the microsecond, as the capture report prints it.
        handshake_rtt_ms:
          typeof c.handshake_rtt_ms === 'number'
            ? Math.round(c.handshake_rtt_ms * 1000) / 1000
            : null,
        ...whoConversationFields(c),
      }
    }
  } else if (q.by === 'host') {
    ;({ sql, map } = planHostGroup({
      segments,
      topSegments,
      step_s: bucketed ? step_s : null,
      top: q.top,
      params,
    }))
  } else if (isAttributionGroup(q.by)) {
    ;({ sql, map } = planAttributionGroup(q.by, {
      series: () => union('conv_series', CONV_COLS, segments, params),
      topSeries: () => union('conv_series', CONV_COLS, topSegments, params),
      b,
      bucketed,
      top: q.top,
    }))
  } else {
    const tagged = (from: string) =>
      `SELECT s.*, c.protocol AS g FROM ${from} s JOIN conversations c ON c.id = s.conv_id`
    const top = topN
      ? `top AS (SELECT g FROM (${tagged(`(${union('conv_series', CONV_COLS, topSegments, params)})`)})
          GROUP BY g ORDER BY sum(bytes_a_to_b + bytes_b_to_a) DESC, g LIMIT ${limit}),`
      : ''
    // Bucketed: the bulk (segments at the query's own step) from the per-protocol series, a
    // few rows per bucket; only the edges and the part not rolled up yet from conversation rows.
    const bulk = bucketed ? segments.filter((g) => g.step_s === step_s) : []
    const rest = segments.filter((g) => !bulk.includes(g))
    const src = union('conv_series', CONV_COLS, rest, params)
    const onlyTop = topN ? 'protocol IN (SELECT g FROM top) AND ' : ''
    const fromSeries = bulk.map((g) => {
      params.push(g.step_s, g.lo_s, g.hi_s)
      return `SELECT bucket_s AS b, protocol, packets, bytes, conversations FROM proto_series
        WHERE ${onlyTop}step_s = ? AND bucket_s >= ? AND bucket_s < ?`
    })
    sql = `WITH ${top} src AS NOT MATERIALIZED (${src}),
      tagged AS (${tagged('src')})
      SELECT ${b} AS b, g AS protocol, sum(packets_a_to_b + packets_b_to_a) AS packets,
        sum(bytes_a_to_b + bytes_b_to_a) AS bytes, count(DISTINCT conv_id) AS conversations
      FROM tagged ${topN ? 'WHERE g IN (SELECT g FROM top)' : ''} GROUP BY ${groupB}g
      ${fromSeries.map((f) => `UNION ALL ${f}`).join(' ')}
      ORDER BY ${orderB}bytes DESC, protocol${tail}`
    map = (r) => ({
      bucket_start: bucketIso(r.b),
      protocol: r.protocol as string,
      packets: r.packets as number,
      bytes: r.bytes as number,
      conversations: r.conversations as number,
    })
  }
  const columns = [...(bucketed ? ['bucket_start'] : []), ...COLUMNS[q.by]]
  return { meta, columns, segments, sql, params, map }
}

const port = (v: unknown): number | null => (typeof v === 'number' && v >= 0 ? v : null)
const bucketIso = (v: unknown): string | null => (typeof v === 'number' ? isoMicros(v * 1e6) : null)

/** Streams rows one at a time (never the whole result in memory). */
export function* iterateHistory(db: Db, plan: Plan): Generator<HistoryRow> {
  const stmt = db.prepare(plan.sql)
  for (const raw of stmt.iterate(...plan.params)) yield plan.map(raw as Record<string, unknown>)
}

/**
 * The engine function behind a contract method such as 'history.query': the result in memory,
 * at most `max_rows` rows (then `truncated`); exports stream with iterateHistory() instead.
 */
export function queryHistory(db: Db, q: HistoryQuery, max_rows = 100_000): HistoryResult {
  const plan = planQuery(db, q)
  const rows: HistoryRow[] = []
  let truncated = false
  for (const row of iterateHistory(db, plan)) {
    if (rows.length === max_rows) {
      truncated = true
      break // leaving the loop ends the statement's iteration
    }
    rows.push(row)
  }
  return { meta: plan.meta, rows, truncated }
}
