/**
 * WCAG AA contrast of the colour tokens, both themes: text 4.5:1 on every background it is drawn
 * on, chart lines and focus rings 3:1 (non-text contrast) on the page and panels. Ratios by the
 * WCAG 2.x relative-luminance formula, computed here from styles.css itself.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const css = readFileSync('renderer/src/styles.css', 'utf8')

function block(selector: string): string {
  const start = css.indexOf(`${selector} {`)
  if (start < 0) throw new Error(`no ${selector} block in styles.css`)
  return css.slice(start, css.indexOf('}', start))
}

/** The tokens of one theme: each is `light-dark(light, dark)` in the one :root block. */
function theme(side: 'light' | 'dark'): Record<string, string> {
  return Object.fromEntries(
    [
      ...block(':root').matchAll(
        /--([\w-]+):\s*light-dark\(\s*(#[0-9a-fA-F]{6})\s*,\s*(#[0-9a-fA-F]{6})\s*\)\s*;/g,
      ),
    ].map((m) => [m[1]!, side === 'light' ? m[2]! : m[3]!]),
  )
}

const channel = (v: number) => {
  const c = v / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
}
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => channel(parseInt(hex.slice(i, i + 2), 16)))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
const ratio = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

const themes = {
  dark: theme('dark'),
  light: theme('light'),
}
const BACKGROUNDS = ['bg', 'panel', 'raised', 'raised-2']
const TEXT = ['text', 'muted', 'accent', 'ok', 'warn', 'danger']
const TEXT_PAIRS: Array<[string, string]> = [
  ...TEXT.flatMap((fg) => BACKGROUNDS.map((bg): [string, string] => [fg, bg])),
  ['text', 'border'], // the pressed units button, the interface state pill
  ['text', 'ok-bg'],
  ['text', 'danger-bg'],
  ['text', 'warn-bg'],
  ['warn-text', 'warn-bg'],
]
const GRAPHIC = ['rx', 'tx', 'danger', 'focus', ...[1, 2, 3, 4, 5, 6].map((n) => `series-${n}`)]
const GRAPHIC_PAIRS: Array<[string, string]> = GRAPHIC.flatMap((fg) =>
  ['bg', 'panel'].map((bg): [string, string] => [fg, bg]),
)

describe('colour tokens', () => {
  it('computes WCAG ratios correctly (known pairs)', () => {
    expect(ratio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(ratio('#767676', '#ffffff')).toBeCloseTo(4.54, 2)
    expect(ratio('#ffffff', '#ffffff')).toBe(1)
  })

  it('forced light and system light both select the light side, dark is the default', () => {
    expect(block(':root')).toMatch(/color-scheme:\s*dark;/)
    expect(block(":root[data-theme='light']")).toMatch(/color-scheme:\s*light;/)
    const media = css.indexOf('@media (prefers-color-scheme: light)')
    expect(media).toBeGreaterThan(0)
    const system = css.slice(media, css.indexOf('}', media))
    expect(system).toContain(":root:not([data-theme='dark'])")
    expect(system).toMatch(/color-scheme:\s*light;/)
  })

  it('every colour token is one light-dark() pair (no colour defined outside it)', () => {
    const colours = [...css.matchAll(/--([\w-]+):[^;]*#[0-9a-fA-F]{3,8}/g)].map((m) => m[1])
    expect(colours.sort()).toEqual(Object.keys(themes.dark).sort())
    const used = [...TEXT_PAIRS, ...GRAPHIC_PAIRS].flat()
    expect(used.filter((t) => !(t in themes.dark))).toEqual([])
  })

  it('both themes define every token', () => {
    expect(Object.keys(themes.light).sort()).toEqual(Object.keys(themes.dark).sort())
  })

  for (const [name, tokens] of Object.entries(themes)) {
    it(`${name}: text meets 4.5:1 on its backgrounds`, () => {
      const failing = TEXT_PAIRS.map(([fg, bg]) => ({
        pair: `${fg} on ${bg}`,
        ratio: Number(ratio(tokens[fg]!, tokens[bg]!).toFixed(2)),
      })).filter((p) => !(p.ratio >= 4.5))
      expect(failing).toEqual([])
    })
    it(`${name}: chart colours and the focus ring meet 3:1`, () => {
      const failing = GRAPHIC_PAIRS.map(([fg, bg]) => ({
        pair: `${fg} on ${bg}`,
        ratio: Number(ratio(tokens[fg]!, tokens[bg]!).toFixed(2)),
      })).filter((p) => !(p.ratio >= 3))
      expect(failing).toEqual([])
    })
  }
})
