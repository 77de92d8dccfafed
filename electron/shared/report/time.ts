/** ISO 8601 UTC with microseconds, e.g. 2026-11-26T07:15:08.123456Z, from µs since the epoch. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000)
  const rest = Math.round(us - ms * 1000)
  const iso = new Date(ms).toISOString() // ....sssZ
  return `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`
}

/** Human time for tables: 2026-11-26 07:15:08 (UTC). */
export function shortTime(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ')
}
