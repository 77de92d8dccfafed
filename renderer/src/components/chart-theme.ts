/** The dark theme every chart shares: axis ticks, grid lines and legend in the page's colours. */
export const MUTED = '#8b949e'
export const GRID = '#21262d'
export const TEXT = '#c9d1d9'

/** Options of one axis: muted ticks (formatted by `label` when given) on the page's grid. */
export function axis(label?: (value: number) => string, maxTicksLimit?: number) {
  return {
    ticks: {
      color: MUTED,
      maxRotation: 0,
      ...(maxTicksLimit !== undefined && { maxTicksLimit }),
      ...(label && { callback: (v: string | number) => label(Number(v)) }),
    },
    grid: { color: GRID },
  }
}

export const legend = { labels: { color: TEXT, boxWidth: 12 } }
