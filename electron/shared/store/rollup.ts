/**
 * Rollup and retention, in one transaction per pass so it is all-or-nothing:
 *  1. for each tier pair (10s->1m, 1m->1h, 1h->1d) roll every complete coarse bucket not yet
 *     rolled, and advance that pair's watermark (rollup_state.done_until_s) in the same
 *     transaction, so a pass that is repeated or interrupted never counts a bucket twice;
 *  2. delete rows older than each tier's retention, but only below its watermark, so nothing
 *     is deleted before it exists in the next tier.
 * Rows that arrive late for a bucket below a watermark are added to the coarser tiers directly
 * by the writer (see writer.ts), so every tier always sums to the same totals.
 */
import type { Db } from './open'
import { DERIVED, pruneDerivedSeries, rebuildDerivedSeries } from './derived-series'
import { KINDS, rollupSql } from './series'
import {
  bucketStart,
  kindRetention,
  RETENTION_KINDS,
  STEP_S,
  STEPS,
  type KindRetention,
  type Retention,
  type RetentionKind,
} from './tiers'

export interface MaintainOptions {
  /** One Retention for every kind, or per kind (missing kinds/tiers: the defaults). */
  retention?: Retention | Partial<KindRetention>
  /** Fine buckets this recent are left alone: the writer may still be adding to them. */
  grace_s?: number
  /** Alerts older than this are deleted; null keeps them. */
  alerts_keep_s?: number | null
}

/**
 * Per tier (finest first): every bucket before this was deleted by retention. With `kind`,
 * that kind's own retention counts too.
 */
export function readPrunedBelow(db: Db, kind?: RetentionKind): number[] {
  const rows = db.prepare('SELECT step_s, pruned_below_s FROM tier_state').all() as {
    step_s: number
    pruned_below_s: number
  }[]
  const own = kind
    ? (db
        .prepare('SELECT step_s, pruned_below_s FROM kind_tier_state WHERE kind = ?')
        .all(kind) as { step_s: number; pruned_below_s: number }[])
    : []
  return STEP_S.map((s) =>
    Math.max(
      rows.find((r) => r.step_s === s)?.pruned_below_s ?? 0,
      own.find((r) => r.step_s === s)?.pruned_below_s ?? 0,
    ),
  )
}

/** Watermarks: rollup into tier i+1 is done for every bucket before done[i]. */
export function readWatermarks(db: Db): number[] {
  const rows = db.prepare('SELECT from_step_s, done_until_s FROM rollup_state').all() as {
    from_step_s: number
    done_until_s: number
  }[]
  return STEP_S.slice(0, -1).map((s) => rows.find((r) => r.from_step_s === s)?.done_until_s ?? 0)
}

export interface MaintainResult {
  rolled_rows: number
  deleted_rows: number
  /** Dimension rows (conversations, interfaces, probes) deleted: no series row left. */
  pruned_dims: number
  watermarks: number[]
  /** This pass stopped at its slice bound: run another (the caller yields in between). */
  more: boolean
}

/** Bounds of one pass, so a catch-up after a long pause runs as many short transactions. */
const MAX_COARSE_BUCKETS_PER_PASS = 48
const MAX_FINE_BUCKETS_DELETED_PER_PASS = 360

/**
 * Rollup + retention up to `now_s`: pass after bounded pass until done, or (`slice`) one
 * pass, whose `more` says whether another is due. Each pass is one transaction.
 */
export function maintain(
  db: Db,
  now_s: number,
  opts: MaintainOptions & { slice?: boolean } = {},
): MaintainResult {
  let total = maintainPass(db, now_s, opts)
  while (!opts.slice && total.more) {
    const next = maintainPass(db, now_s, opts)
    total = {
      rolled_rows: total.rolled_rows + next.rolled_rows,
      deleted_rows: total.deleted_rows + next.deleted_rows,
      pruned_dims: total.pruned_dims + next.pruned_dims,
      watermarks: next.watermarks,
      more: next.more,
    }
  }
  return total
}

function maintainPass(db: Db, now_s: number, opts: MaintainOptions): MaintainResult {
  const retention = kindRetention(opts.retention)
  const grace_s = opts.grace_s ?? 30
  const rollups = KINDS.map((k) => db.prepare(rollupSql(k)))
  const setMark = db.prepare('UPDATE rollup_state SET done_until_s = ? WHERE from_step_s = ?')
  const setPruned = db.prepare(
    `INSERT INTO kind_tier_state (kind, step_s, pruned_below_s) VALUES (?, ?, ?)
     ON CONFLICT DO UPDATE SET pruned_below_s = max(pruned_below_s, excluded.pruned_below_s)`,
  )
  db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)')
  return db
    .transaction((): MaintainResult => {
      const done = readWatermarks(db)
      let rolled_rows = 0
      let deleted_rows = 0
      let pruned_dims = 0
      let more = false
      for (let i = 0; i < done.length; i++) {
        const from = STEP_S[i] as number
        const to = STEP_S[i + 1] as number
        // A coarse bucket is complete once every finer bucket in it is: bounded by the finer
        // pair's watermark (already advanced in this pass) or by now - grace for the finest.
        const limit = i === 0 ? now_s - grace_s : (done[i - 1] as number)
        const lo = done[i] as number
        let hi = bucketStart(limit, to)
        if (hi <= lo) continue
        // Slices count from the oldest row not rolled up yet (not from the epoch).
        const first = oldest(db, from, lo)
        const start = first === null ? hi : Math.max(lo, bucketStart(first, to))
        if (hi > start + MAX_COARSE_BUCKETS_PER_PASS * to) {
          hi = start + MAX_COARSE_BUCKETS_PER_PASS * to
          more = true
        }
        for (const stmt of rollups) rolled_rows += stmt.run({ from, to, lo, hi }).changes
        rebuildDerivedSeries(db, to, lo, hi)
        setMark.run(hi, from)
        done[i] = hi
      }
      // Series of each kind, then the derived series with a retention of their own (hosts).
      const targets = [
        ...KINDS,
        ...DERIVED.filter((d) => !KINDS.some((k) => k.kind === d.kind)).map((d) => ({
          kind: d.kind,
          table: d.table,
          dims: d.dims ?? null,
          key: d.key ?? null,
        })),
      ]
      for (const k of targets) {
        const pruned = readPrunedBelow(db, k.kind)
        for (let i = 0; i < STEP_S.length; i++) {
          const keep = retention[k.kind][STEPS[i] as keyof Retention]
          if (keep === null) continue
          const step = STEP_S[i] as number
          let cutoff = now_s - keep
          if (i < done.length) cutoff = Math.min(cutoff, done[i] as number)
          // Delete in slices of buckets, oldest first, from where the last pass stopped.
          let upto = bucketStart(cutoff, step)
          // From the oldest row: a late row may have landed below the last pass's mark.
          const first = oldest(db, step, 0, k.table)
          const lo = first === null ? upto : first
          if (upto <= lo) {
            if (upto > (pruned[i] as number)) setPruned.run(k.kind, step, upto)
            continue
          }
          if (upto > lo + MAX_FINE_BUCKETS_DELETED_PER_PASS * step) {
            upto = lo + MAX_FINE_BUCKETS_DELETED_PER_PASS * step
            more = true
          }
          const where = `FROM ${k.table} WHERE step_s = ? AND bucket_s >= ? AND bucket_s < ?`
          if (k.key)
            db.prepare(`INSERT OR IGNORE INTO prune_ids SELECT DISTINCT ${k.key} ${where}`).run(
              step,
              lo,
              upto,
            )
          deleted_rows += db.prepare(`DELETE ${where}`).run(step, lo, upto).changes
          // Derived series pruned with this kind (protocols with the conversations) go too.
          for (const d of DERIVED)
            if (d.kind === k.kind && d.table !== k.table) pruneDerivedSeries(db, d, step, lo, upto)
          setPruned.run(k.kind, step, upto)
        }
        if (!k.dims) continue
        // Dimension rows left with no series in any tier (a conversation that ended and aged
        // out everywhere) go too, so the dimension tables stay bounded under churn.
        pruned_dims += db
          .prepare(
            `DELETE FROM ${k.dims} WHERE id IN (SELECT id FROM prune_ids)
             AND NOT EXISTS (SELECT 1 FROM ${k.table} s WHERE s.${k.key} = ${k.dims}.id)`,
          )
          .run().changes
        db.exec('DELETE FROM prune_ids')
      }
      // tier_state: where every kind has been pruned (what a tier holds nothing before).
      for (const step of STEP_S) {
        db.prepare(
          `UPDATE tier_state SET pruned_below_s = max(pruned_below_s, coalesce((SELECT min(pruned_below_s)
             FROM kind_tier_state WHERE step_s = ? HAVING count(*) = ${RETENTION_KINDS.length}), 0))
           WHERE step_s = ?`,
        ).run(step, step)
      }
      if (opts.alerts_keep_s != null) {
        const cutoff_us = (now_s - opts.alerts_keep_s) * 1e6
        deleted_rows += db.prepare('DELETE FROM alerts WHERE time_us < ?').run(cutoff_us).changes
      }
      return { rolled_rows, deleted_rows, pruned_dims, watermarks: done, more }
    })
    .immediate()
}

/** The oldest bucket at or after `lo` in tier `step_s` (of one table, or of every kind). */
function oldest(db: Db, step_s: number, lo: number, table?: string): number | null {
  let min: number | null = null
  for (const t of table ? [table] : KINDS.map((k) => k.table)) {
    const b = db
      .prepare(`SELECT min(bucket_s) FROM ${t} WHERE step_s = ? AND bucket_s >= ?`)
      .pluck()
      .get(step_s, lo) as number | null
    if (b !== null && (min === null || b < min)) min = b
  }
  return min
}
