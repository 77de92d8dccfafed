/**
 * Per-protocol series (`proto_series`, migration 4): every tier's buckets summed per protocol,
 * so a bucketed "by protocol" query reads a few rows per bucket instead of every conversation
 * row of the range. `conversations` is the number of conversations with a row in the bucket,
 * exact for that bucket (conv_series has one row per conversation and bucket); it does not add
 * up across buckets, so queries use these rows only where the query's bucket is the row's.
 *
 * Derived, never summed into: a bucket is rebuilt from conv_series whenever its conversation
 * rows change (the writer's commit for the 10 s buckets it touched and for late rows added to
 * coarser tiers, maintenance for the buckets it rolled up), and pruned with the conversations.
 */
import type { Statement } from 'better-sqlite3'
import type { Db } from './open'

// Aligned and DISTINCT: databases rolled up before migration 4 may hold coarse rows at fine
// bucket starts (see rollupSql), several per conversation and coarse bucket.
const REBUILD = (where: string) => `
  INSERT INTO proto_series (step_s, bucket_s, protocol, packets, bytes, conversations)
  SELECT s.step_s, (s.bucket_s / s.step_s) * s.step_s, c.protocol,
    sum(s.packets_a_to_b + s.packets_b_to_a), sum(s.bytes_a_to_b + s.bytes_b_to_a),
    count(DISTINCT s.conv_id)
  FROM conv_series s JOIN conversations c ON c.id = s.conv_id
  WHERE ${where} GROUP BY 1, 2, 3`

/** For a migration: every bucket of every tier (one statement, run once). */
export const PROTO_SERIES_BACKFILL = `${REBUILD('1')};`

/** Rebuilds tier `step_s`'s buckets in [lo, hi) from the conversation rows. */
export function rebuildProtoSeries(db: Db, step_s: number, lo: number, hi: number): void {
  const stmts = prepared(db)
  stmts.del.run(step_s, lo, hi)
  stmts.ins.run(step_s, lo, hi)
}

/** Deletes tier `step_s`'s buckets in [lo, hi) (retention, with the conversation rows). */
export function pruneProtoSeries(db: Db, step_s: number, lo: number, hi: number): number {
  return prepared(db).del.run(step_s, lo, hi).changes
}

const cache = new WeakMap<Db, { del: Statement<number[]>; ins: Statement<number[]> }>()
function prepared(db: Db) {
  let s = cache.get(db)
  if (!s) {
    const range = 'step_s = ? AND bucket_s >= ? AND bucket_s < ?'
    s = {
      del: db.prepare<number[]>(`DELETE FROM proto_series WHERE ${range}`),
      ins: db.prepare<number[]>(REBUILD('s.step_s = ? AND s.bucket_s >= ? AND s.bucket_s < ?')),
    }
    cache.set(db, s)
  }
  return s
}
