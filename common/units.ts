/**
 * Units and formatting shared by the CLI and the renderer. SI prefixes (k = 1000) by default, as
 * nload and iftop; the `-iec` units use binary prefixes (Ki = 1024), as the settings may choose.
 */

export type RateUnit = 'bits' | 'bytes' | 'bits-iec' | 'bytes-iec'

const SI = ['', 'k', 'M', 'G', 'T', 'P']
const IEC = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi']

const isBits = (unit: RateUnit) => unit === 'bits' || unit === 'bits-iec'
const isIec = (unit: RateUnit) => unit.endsWith('-iec')

function scale(value: number, iec: boolean): { v: number; prefix: string } {
  const base = iec ? 1024 : 1000
  const prefixes = iec ? IEC : SI
  let i = 0
  let v = value
  while (Math.abs(v) >= base && i < prefixes.length - 1) {
    v /= base
    i++
  }
  return { v, prefix: prefixes[i]! }
}

/** Three significant digits: 1.23, 12.3, 123 (IEC values up to 1023 keep four). */
function digits(v: number, decimals?: number): string {
  if (decimals !== undefined) return v.toFixed(decimals)
  const a = Math.abs(v)
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)
}

/** A rate given in bytes per second, shown in bit/s or B/s: "16.0 Mbit/s", "2.00 MiB/s". */
export function formatRate(bytesPerSecond: number, unit: RateUnit, decimals?: number): string {
  const value = isBits(unit) ? bytesPerSecond * 8 : bytesPerSecond
  const { v, prefix } = scale(value, isIec(unit))
  return `${digits(v, decimals)} ${prefix}${isBits(unit) ? 'bit/s' : 'B/s'}`
}

/** An amount given in bytes, shown in bits or bytes: "1.50 GB", "12.0 Mbit", "3.00 KiB". */
export function formatAmount(bytes: number, unit: RateUnit): string {
  const value = isBits(unit) ? bytes * 8 : bytes
  const { v, prefix } = scale(value, isIec(unit))
  return `${digits(v)} ${prefix}${isBits(unit) ? 'bit' : 'B'}`
}

/** Parses what formatRate prints (SI or IEC) back to bytes per second (tests, tooltips). */
export function parseRate(text: string): number | null {
  const m = /^(-?[\d.]+)\s*(?:([kKMGTP])(i?))?(bit|B)\/s$/.exec(text.trim())
  if (!m) return null
  const iec = m[3] === 'i'
  const power = m[2] ? SI.indexOf(m[2] === 'K' ? 'k' : m[2]) : 0
  const v = Number(m[1]) * (iec ? 1024 : 1000) ** power
  return m[4] === 'bit' ? v / 8 : v
}
