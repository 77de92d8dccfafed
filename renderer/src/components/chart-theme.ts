/**
 * Chart colours come from the page's CSS colour tokens (styles.css), so charts follow the theme.
 * A chart reads them when it is built, and is built again when the theme changes
 * (`onThemeChange`), since Chart.js keeps copies of the colours it was given.
 */
import { watch } from 'vue'
import { useTheme } from '../composables/useTheme'

/**
 * A token's colour in force. Tokens are `light-dark(light, dark)` and a custom property's
 * computed value is that text unresolved, so pick the side by the page's color-scheme, as the
 * browser does for CSS (Chart.js draws on a canvas and needs the colour itself).
 */
export function token(name: string): string {
  const style = getComputedStyle(document.documentElement)
  const value = style.getPropertyValue(`--${name}`).trim()
  const pair = /^light-dark\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$/.exec(value)
  if (!pair) return value
  return style.colorScheme.split(/\s+/).includes('light') ? pair[1]! : pair[2]!
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
