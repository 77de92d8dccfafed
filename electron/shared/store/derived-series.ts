/**
 * Derived series: every tier's conversation rows summed per bucket and per protocol
 * (`proto_series`, migration 5) or per host (`host_series`, migration 6), so a query by
 * protocol or host reads a few rows per bucket instead of every conversation row of the range.
 * `conversations` is the number of conversations with a row in the bucket, exact for that
 * bucket (conv_series has one row per conversation and bucket); it does not add up across
 * buckets, so queries take it from these rows only where the query's bucket is the row's.
 *
 * Derived, never summed into: a bucket is rebuilt from conv_series whenever its conversation
 * rows change (the writer's commit for the 10 s buckets it touched and for late rows added to
 * coarser tiers, maintenance for the buckets it rolled up), and pruned by the retention of its
 * kind (protocols with the conversations, hosts by their own).
 */
import type { Statement } from 'better-sqlite3'
import type { Db } from './open'
import type { RetentionKind } from './tiers'

export interface DerivedSeries {
  table: string
  /** Whose retention prunes it (rollup.ts). */
  kind: RetentionKind
  /** Its dimension table and key column, pruned once no row is left (rollup.ts). */
  dims?: string
  key?: string
  /** Run first: adds the dimension rows the rebuild joins (restricted by `where`). */
  before?: (where: string) => string
  /** INSERT … SELECT from `conv_series s JOIN conversations c`, restricted by `where`. */
  rebuild: (where: string) => string
}

// Aligned and DISTINCT: databases rolled up before migration 5 may hold coarse rows at fine
// bucket starts (see rollupSql), several per conversation and coarse bucket.
const ALIGNED = '(s.bucket_s / s.step_s) * s.step_s'
const CONV_ROWS = 'FROM conv_series s JOIN conversations c ON c.id = s.conv_id'

export const PROTO_SERIES: DerivedSeries = {
  table: 'proto_series',
  kind: 'conversations',
  rebuild: (where) => `
  INSERT INTO proto_series (step_s, bucket_s, protocol, packets, bytes, conversations)
  SELECT s.step_s, ${ALIGNED}, c.protocol,
    sum(s.packets_a_to_b + s.packets_b_to_a), sum(s.bytes_a_to_b + s.bytes_b_to_a),
    count(DISTINCT s.conv_id)
  ${CONV_ROWS}
  WHERE ${where} GROUP BY 1, 2, 3`,
}

/** A host's sent is what it sent as either endpoint (A sends a->b, B sends b->a). */
const END = (addr: 'a' | 'b') => {
  const [out, back] = addr === 'a' ? ['a_to_b', 'b_to_a'] : ['b_to_a', 'a_to_b']
  return `SELECT s.step_s, ${ALIGNED} AS b, c.address_${addr} AS address, s.conv_id,
      s.packets_${out} AS ps, s.bytes_${out} AS bs, s.packets_${back} AS pr, s.bytes_${back} AS br,
      s.bucket_s * 1000000 + s.first_off_us AS first_us, s.bucket_s * 1000000 + s.last_off_us AS last_us`
}

/** Hosts are integer ids (`hosts`), short in the series' key and its index even for IPv6. */
export const HOST_SERIES: DerivedSeries = {
  table: 'host_series',
  kind: 'hosts',
  dims: 'hosts',
  key: 'host_id',
  before: (where) => `
  INSERT OR IGNORE INTO hosts (address)
  SELECT c.address_a ${CONV_ROWS} WHERE ${where} UNION SELECT c.address_b ${CONV_ROWS} WHERE ${where}`,
  rebuild: (where) => `
  INSERT INTO host_series (step_s, bucket_s, host_id, packets_sent, bytes_sent, packets_received,
    bytes_received, conversations, first_off_us, last_off_us)
  SELECT step_s, b, h.id, sum(ps), sum(bs), sum(pr), sum(br), count(DISTINCT conv_id),
    min(first_us) - b * 1000000, max(last_us) - b * 1000000
  FROM (${END('a')} ${CONV_ROWS} WHERE ${where}
    UNION ALL ${END('b')} ${CONV_ROWS} WHERE ${where}) e
  JOIN hosts h ON h.address = e.address
  GROUP BY 1, 2, 3`,
}

export const DERIVED: readonly DerivedSeries[] = [PROTO_SERIES, HOST_SERIES]

/** For a migration: every bucket of every tier (one statement, run once). */
export const backfillSql = (d: DerivedSeries): string =>
  `${d.before ? `${d.before('1')};` : ''}${d.rebuild('1')};`

/** Rebuilds tier `step_s`'s buckets in [lo, hi) of every derived series from conversation rows. */
export function rebuildDerivedSeries(db: Db, step_s: number, lo: number, hi: number): void {
  for (const s of prepared(db)) {
    s.del.run(step_s, lo, hi)
    s.pre?.run({ step: step_s, lo, hi })
    s.ins.run({ step: step_s, lo, hi })
  }
}

/** Deletes tier `step_s`'s buckets in [lo, hi) of one derived series (retention). */
export function pruneDerivedSeries(
  db: Db,
  d: DerivedSeries,
  step_s: number,
  lo: number,
  hi: number,
): number {
  return (prepared(db).find((s) => s.d === d) as Prepared).del.run(step_s, lo, hi).changes
}

interface Prepared {
  d: DerivedSeries
  del: Statement<number[]>
  pre: Statement<[Record<string, number>]> | null
  ins: Statement<[Record<string, number>]>
}
const cache = new WeakMap<Db, Prepared[]>()
function prepared(db: Db): Prepared[] {
  let s = cache.get(db)
  if (!s) {
    const range = 'step_s = ? AND bucket_s >= ? AND bucket_s < ?'
    const where = 's.step_s = @step AND s.bucket_s >= @lo AND s.bucket_s < @hi'
    s = DERIVED.map((d) => ({
      d,
      del: db.prepare<number[]>(`DELETE FROM ${d.table} WHERE ${range}`),
      pre: d.before ? db.prepare<[Record<string, number>]>(d.before(where)) : null,
      ins: db.prepare<[Record<string, number>]>(d.rebuild(where)),
    }))
    cache.set(db, s)
  }
  return s
}
