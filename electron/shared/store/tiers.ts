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

/** What retention is set for, each on its own: a kind's rows and (conversations, probes,
 * interfaces) the dimension rows left with none. Hosts are their series (`host_series`). */
export const RETENTION_KINDS = ['interfaces', 'conversations', 'hosts', 'probes'] as const
export type RetentionKind = (typeof RETENTION_KINDS)[number]
export type KindRetention = Record<RetentionKind, Retention>

/**
 * Defaults per kind. Conversations churn (every new 5-tuple is a row), so their daily tier is
 * not kept forever: a conversation whose last row leaves its coarsest tier is pruned with it.
 * Hosts follow the conversations by default (their series are built from them).
 */
export const DEFAULT_KIND_RETENTION: KindRetention = {
  interfaces: DEFAULT_RETENTION,
  conversations: { ...DEFAULT_RETENTION, '1d': 400 * 86400 },
  hosts: { ...DEFAULT_RETENTION, '1d': 400 * 86400 },
  probes: DEFAULT_RETENTION,
}

/** A plain Retention applies to every kind; a partial per-kind one overrides the defaults. */
export function kindRetention(r?: Retention | Partial<KindRetention>): KindRetention {
  return mergeRetention(DEFAULT_KIND_RETENTION, r)
}

/**
 * `change` over `base`: a plain Retention replaces every kind; a per-kind one replaces the
 * tiers it names (kinds and tiers it leaves out keep base's).
 */
export function mergeRetention(
  base: KindRetention,
  change?: Retention | { [K in RetentionKind]?: Partial<Retention> },
): KindRetention {
  if (!change) return base
  if ('10s' in change)
    return Object.fromEntries(RETENTION_KINDS.map((k) => [k, change])) as KindRetention
  const c = change as { [K in RetentionKind]?: Partial<Retention> }
  return Object.fromEntries(
    RETENTION_KINDS.map((k) => [k, { ...base[k], ...c[k] }]),
  ) as KindRetention
}

const SPEC_UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 }

/**
 * A `--retention-KIND` value: `10s=1d,1m=7d,1h=180d,1d=forever` (any subset of tiers; a
 * duration is a number and s, m, h, d or w). Throws an Error naming the bad part.
 */
export function parseRetentionSpec(spec: string): Partial<Retention> {
  const out: Partial<Retention> = {}
  for (const part of spec.split(',')) {
    const m = /^\s*(10s|1m|1h|1d)\s*=\s*(?:(forever)|(\d+)([smhdw]))\s*$/.exec(part)
    if (!m) throw new Error(`'${part}': expected TIER=DURATION (10s=1d, 1h=30d, 1d=forever)`)
    out[m[1] as HistoryStep] = m[2] ? null : Number(m[3]) * (SPEC_UNIT_S[m[4] as string] as number)
  }
  return out
}

/** Start of the bucket of `step_s` seconds that holds `time_s`. */
export const bucketStart = (time_s: number, step_s: number): number =>
  Math.floor(time_s / step_s) * step_s

export const stepOf = (step_s: number): HistoryStep => {
  const i = STEP_S.indexOf(step_s)
  if (i < 0) throw new Error(`not a stored step: ${step_s} s`)
  return STEPS[i] as HistoryStep
}
