/**
 * Chart colours come from the page's CSS colour tokens (styles.css), so charts follow the theme.
 * A chart reads them when it is built, and is built again when the theme changes
 * (`onThemeChange`), since Chart.js keeps copies of the colours it was given.
 */
import { watch } from 'vue'
import { useTheme } from '../composables/useTheme'

export function token(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim()
}

/** The n-th colour of the series palette (--series-1 .. --series-6). */
export function seriesColor(n: number): string {
  return token(`series-${(n % 6) + 1}`)
}

/** Options of one axis: muted ticks (formatted by `label` when given) on the page's grid. */
export function axis(label?: (value: number) => string, maxTicksLimit?: number) {
  return {
    ticks: {
      color: token('muted'),
      maxRotation: 0,
      ...(maxTicksLimit !== undefined && { maxTicksLimit }),
      ...(label && { callback: (v: string | number) => label(Number(v)) }),
    },
    grid: { color: token('grid') },
  }
}

export function legend() {
  return { labels: { color: token('text'), boxWidth: 12 } }
}

/** Calls `rebuild` after every change of the colours in force (call from a component's setup). */
export function onThemeChange(rebuild: () => void): void {
  const { version } = useTheme()
  // 'post': after the DOM (and so the computed style of <html>) reflects the new theme.
  watch(version, rebuild, { flush: 'post' })
}
