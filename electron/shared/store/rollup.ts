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
import { KINDS, rollupSql } from './series'
import { bucketStart, DEFAULT_RETENTION, STEP_S, STEPS, type Retention } from './tiers'

export interface MaintainOptions {
  retention?: Retention
  /** Fine buckets this recent are left alone: the writer may still be adding to them. */
  grace_s?: number
  /** Alerts older than this are deleted; null keeps them. */
  alerts_keep_s?: number | null
}

/** Per tier (finest first): every bucket before this was deleted by retention. */
export function readPrunedBelow(db: Db): number[] {
  const rows = db.prepare('SELECT step_s, pruned_below_s FROM tier_state').all() as {
    step_s: number
    pruned_below_s: number
  }[]
  return STEP_S.map((s) => rows.find((r) => r.step_s === s)?.pruned_below_s ?? 0)
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
  watermarks: number[]
}

export function maintain(db: Db, now_s: number, opts: MaintainOptions = {}): MaintainResult {
  const retention = opts.retention ?? DEFAULT_RETENTION
  const grace_s = opts.grace_s ?? 30
  const rollups = KINDS.map((k) => db.prepare(rollupSql(k)))
  const setMark = db.prepare('UPDATE rollup_state SET done_until_s = ? WHERE from_step_s = ?')
  return db
    .transaction((): MaintainResult => {
      const done = readWatermarks(db)
      let rolled_rows = 0
      let deleted_rows = 0
      for (let i = 0; i < done.length; i++) {
        const from = STEP_S[i] as number
        const to = STEP_S[i + 1] as number
        // A coarse bucket is complete once every finer bucket in it is: bounded by the finer
        // pair's watermark (already advanced in this pass) or by now - grace for the finest.
        const limit = i === 0 ? now_s - grace_s : (done[i - 1] as number)
        const hi = bucketStart(limit, to)
        const lo = done[i] as number
        if (hi <= lo) continue
        for (const stmt of rollups) rolled_rows += stmt.run({ from, to, lo, hi }).changes
        setMark.run(hi, from)
        done[i] = hi
      }
      for (let i = 0; i < STEP_S.length; i++) {
        const keep = retention[STEPS[i] as keyof Retention]
        if (keep === null) continue
        const step = STEP_S[i] as number
        let cutoff = now_s - keep
        if (i < done.length) cutoff = Math.min(cutoff, done[i] as number)
        db.prepare(
          'UPDATE tier_state SET pruned_below_s = max(pruned_below_s, ?) WHERE step_s = ?',
        ).run(bucketStart(cutoff, step), step)
        for (const k of KINDS) {
          deleted_rows += db
            .prepare(`DELETE FROM ${k.table} WHERE step_s = ? AND bucket_s <= ?`)
            .run(step, cutoff - step).changes
        }
      }
      if (opts.alerts_keep_s != null) {
        const cutoff_us = (now_s - opts.alerts_keep_s) * 1e6
        deleted_rows += db.prepare('DELETE FROM alerts WHERE time_us < ?').run(cutoff_us).changes
      }
      return { rolled_rows, deleted_rows, watermarks: done }
    })
    .immediate()
}
