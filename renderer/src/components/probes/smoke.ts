/**
 * smokeping's "smoke": per period, the spread of its samples around the median. From the live
 * outcomes we have every RTT (exact percentiles); from the store only per-bucket aggregates, so
 * the bands there are min–max and mean ± one standard deviation, with the mean as the centre.
 */
import type { ProbeHistoryRow } from '../../../../common/history'

/** One probe's outcome (as useProbes keeps them): send time (ms) and RTT, null when lost. */
export interface Outcome {
  t: number
  rtt: number | null
}

export interface SmokePeriod {
  /** Period start, ms since the epoch. */
  t: number
  min: number | null
  lo: number | null
  mid: number | null
  hi: number | null
  max: number | null
  /** Percent of the period's probes that got no answer. */
  loss: number
  sent: number
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Live outcomes grouped into periods of `period_ms`: min, p25, median, p75, max and loss. */
export function smokeFromOutcomes(list: readonly Outcome[], period_ms: number): SmokePeriod[] {
  const periods = new Map<number, { rtts: number[]; sent: number }>()
  for (const o of list) {
    const t = Math.floor(o.t / period_ms) * period_ms
    let p = periods.get(t)
    if (!p) periods.set(t, (p = { rtts: [], sent: 0 }))
    p.sent++
    if (o.rtt !== null) p.rtts.push(o.rtt)
  }
  return [...periods]
    .sort((a, b) => a[0] - b[0])
    .map(([t, { rtts, sent }]) => {
      const s = rtts.sort((a, b) => a - b)
      const has = s.length > 0
      return {
        t,
        min: has ? s[0]! : null,
        lo: has ? pct(s, 25) : null,
        mid: has ? pct(s, 50) : null,
        hi: has ? pct(s, 75) : null,
        max: has ? s[s.length - 1]! : null,
        loss: (100 * (sent - s.length)) / sent,
        sent,
      }
    })
}

/** Recorded buckets of one target: min–max, mean ± sd around the mean. */
export function smokeFromHistory(rows: readonly ProbeHistoryRow[]): SmokePeriod[] {
  return rows
    .filter((r) => r.bucket_start !== null && r.sent > 0)
    .map((r) => {
      const sd = r.rtt_stddev_ms ?? 0
      const avg = r.rtt_avg_ms
      return {
        t: Date.parse(r.bucket_start!),
        min: r.rtt_min_ms,
        lo: avg === null ? null : Math.max(r.rtt_min_ms ?? 0, avg - sd),
        mid: avg,
        hi: avg === null ? null : Math.min(r.rtt_max_ms ?? Infinity, avg + sd),
        max: r.rtt_max_ms,
        loss: r.loss_pct ?? 0,
        sent: r.sent,
      }
    })
    .sort((a, b) => a.t - b.t)
}

/** A token colour (#rgb, #rrggbb or rgb()) with an alpha, for the smoke's translucent bands. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim())
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((c) => c + c).join('') : hex[1]!
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16))
    return `rgba(${r}, ${g}, ${b}, ${alpha})`
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color.trim())
  if (rgb) {
    const [r, g, b] = rgb[1]!.split(/[ ,/]+/)
    return `rgba(${r}, ${g}, ${b}, ${alpha})`
  }
  return color
}

/** smokeping's loss colours: none, some, heavy, all lost. */
export function lossToken(loss: number): string {
  return loss === 0 ? 'ok' : loss < 20 ? 'warn' : 'danger'
}
