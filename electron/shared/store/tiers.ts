/**
 * Resolution tiers, RRD/vnStat style: every tier keeps its whole retention window, so a range
 * is read from the one finest tier that still covers it. Data enters at the finest tier and is
 * rolled up into each coarser tier once a coarse bucket is complete (see rollup.ts).
 */
import { STEP_SECONDS, type HistoryStep } from '../../../common/history'

export const STEPS: readonly HistoryStep[] = ['10s', '1m', '1h', '1d']
export const STEP_S: readonly number[] = STEPS.map((s) => STEP_SECONDS[s])
export const FINEST_STEP_S = STEP_S[0] as number

/** Seconds each tier is kept, finest first; null keeps it forever. */
export type Retention = Record<HistoryStep, number | null>

export const DEFAULT_RETENTION: Retention = {
  '10s': 24 * 3600,
  '1m': 7 * 86400,
  '1h': 180 * 86400,
  '1d': null,
}

/** Start of the bucket of `step_s` seconds that holds `time_s`. */
export const bucketStart = (time_s: number, step_s: number): number =>
  Math.floor(time_s / step_s) * step_s

export const stepOf = (step_s: number): HistoryStep => {
  const i = STEP_S.indexOf(step_s)
  if (i < 0) throw new Error(`not a stored step: ${step_s} s`)
  return STEPS[i] as HistoryStep
}
