/** Units and formatting shared by the CLI and the renderer. SI prefixes (k = 1000), as nload and iftop. */

export type RateUnit = 'bits' | 'bytes'

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P']

function scale(value: number): { v: number; prefix: string } {
  let i = 0
  let v = value
  while (Math.abs(v) >= 1000 && i < PREFIXES.length - 1) {
    v /= 1000
    i++
  }
  return { v, prefix: PREFIXES[i]! }
}

/** Three significant digits: 1.23, 12.3, 123. */
function digits(v: number, decimals?: number): string {
  if (decimals !== undefined) return v.toFixed(decimals)
  const a = Math.abs(v)
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)
}

/** A rate given in bytes per second, shown in bit/s or B/s: "16.0 Mbit/s", "2.00 MB/s". */
export function formatRate(bytesPerSecond: number, unit: RateUnit, decimals?: number): string {
  const value = unit === 'bits' ? bytesPerSecond * 8 : bytesPerSecond
  const { v, prefix } = scale(value)
  return `${digits(v, decimals)} ${prefix}${unit === 'bits' ? 'bit/s' : 'B/s'}`
}

/** An amount given in bytes, shown in bits or bytes: "1.50 GB", "12.0 Mbit". */
export function formatAmount(bytes: number, unit: RateUnit): string {
  const value = unit === 'bits' ? bytes * 8 : bytes
  const { v, prefix } = scale(value)
  return `${digits(v)} ${prefix}${unit === 'bits' ? 'bit' : 'B'}`
}

/** Parses what formatRate prints back to bytes per second (used by tests and the UI's tooltips). */
export function parseRate(text: string): number | null {
  const m = /^(-?[\d.]+)\s*([kMGTP]?)(bit|B)\/s$/.exec(text.trim())
  if (!m) return null
  const v = Number(m[1]) * 1000 ** PREFIXES.indexOf(m[2]!)
  return m[3] === 'bit' ? v / 8 : v
}
