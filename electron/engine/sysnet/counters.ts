/** Kernel per-interface counters, as /proc/net/dev reports them. */
export interface InterfaceCounters {
  rx_bytes: number
  rx_packets: number
  rx_dropped: number
  /** Receive / transmit errors (the Prometheus exposition reports them; optional for fakes). */
  rx_errs?: number
  tx_errs?: number
  tx_bytes: number
  tx_packets: number
  tx_dropped: number
}

/**
 * Parses /proc/net/dev. Lines that don't have the 16 numeric columns are skipped rather than
 * trusted: a half-written or unexpected line must never become a counter.
 */
export function parseProcNetDev(text: string): Map<string, InterfaceCounters> {
  const out = new Map<string, InterfaceCounters>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const name = line.slice(0, colon).trim()
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number)
    if (!name || fields.length < 16 || fields.some((n) => !Number.isFinite(n) || n < 0)) continue
    // Columns: rx bytes packets errs drop fifo frame compressed multicast | tx bytes packets errs drop ...
    out.set(name, {
      rx_bytes: fields[0]!,
      rx_packets: fields[1]!,
      rx_dropped: fields[3]!,
      rx_errs: fields[2]!,
      tx_errs: fields[10]!,
      tx_bytes: fields[8]!,
      tx_packets: fields[9]!,
      tx_dropped: fields[11]!,
    })
  }
  return out
}
