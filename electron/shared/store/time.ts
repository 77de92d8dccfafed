/**
 * Times at the edges: ISO 8601 UTC with microseconds out, ISO 8601 or relative forms in.
 */

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 }

/** 1_700_000_000_123_456 µs -> '2023-11-14T22:13:20.123456Z' (shared with the capture report). */
export { isoMicros } from '../report/time'

/** Date and time to the second, per second since the epoch: many rows share a few seconds. */
const secondIso = new Map<number, string>()
const MAX_CACHED_SECONDS = 8192

/**
 * isoMicros for query rows (same output): a 24 h query at 1 min formats 43,000 times, and the
 * part up to the second repeats (bucket starts, first/last seen within a bucket).
 */
export function isoMicrosFast(time_us: number): string {
  const us = Math.round(time_us)
  const s = Math.floor(us / 1e6)
  let head = secondIso.get(s)
  if (head === undefined) {
    if (secondIso.size >= MAX_CACHED_SECONDS) secondIso.clear()
    head = new Date(s * 1000).toISOString().slice(0, 19)
    secondIso.set(s, head)
  }
  return `${head}.${String(us - s * 1e6).padStart(6, '0')}Z`
}

export class TimeParseError extends Error {
  override name = 'TimeParseError'
}

/**
 * Parses a TIME argument into milliseconds since the epoch:
 * `now`, relative `-30s` `-30m` `-1h` `-7d` `-2w` (before `now_ms`), or ISO 8601
 * (`2026-11-26`, `2026-11-26T07:00`, `2026-11-26T07:00:00.5Z`, `...+01:00`). A date or time
 * without a zone is UTC, so the same command gives the same range on every machine.
 */
export function parseTime(text: string, now_ms: number): number {
  const t = text.trim()
  if (t === 'now') return now_ms
  const rel = /^-(\d+(?:\.\d+)?)([smhdw])$/.exec(t)
  if (rel) return now_ms - Math.round(Number(rel[1]) * (UNIT_S[rel[2] as string] as number) * 1000)
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(
      t,
    )
  if (!iso) {
    throw new TimeParseError(
      `'${text}' is not a time: use ISO 8601 (2026-11-26T07:00Z) or -30m, -1h, -7d, now`,
    )
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = iso
  const z = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${z}`)
  // Date.parse rolls 2026-02-30 over to March; reject it by checking the fields survive.
  const back = new Date(ms)
  if (Number.isNaN(ms) || (zone === 'Z' && back.getUTCDate() !== Number(d)) || Number(h) > 23) {
    throw new TimeParseError(`'${text}' is not a valid date/time`)
  }
  return ms
}
