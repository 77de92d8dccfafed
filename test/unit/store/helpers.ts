import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HistoryRow } from '../../../common/history'
import type { HostRow } from '../../../electron/shared/report/rows'

/** A fresh temp directory per test file; removed by the returned cleanup. */
export function tempDir(prefix = 'fss-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Small seeded PRNG (mulberry32), so a failing property run can be replayed by its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1))

export type HostSums = {
  sent: number
  bytes: number
  received: number
  conversations: number
  first: string
  last: string
}
/** Conversation rows summed per (bucket, host): what a host query must say. */
export function hostsOf(rows: HistoryRow[]): Map<string, HostSums> {
  const out = new Map<string, HostSums>()
  for (const row of rows) {
    if (!('bytes_a_to_b' in row)) continue
    const ends = [
      [row.address_a, row.bytes_a_to_b, row.bytes_b_to_a],
      [row.address_b, row.bytes_b_to_a, row.bytes_a_to_b],
    ] as const
    ends.forEach(([address, sent, received], i) => {
      const key = `${row.bucket_start}|${address}`
      const h = out.get(key) ?? {
        sent: 0,
        bytes: 0,
        received: 0,
        conversations: 0,
        first: row.first_seen,
        last: row.last_seen,
      }
      h.sent += sent
      h.received += received
      h.bytes += sent + received
      // A host at both ends of one conversation counts it once.
      if (i === 0 || row.address_b !== row.address_a) h.conversations++
      if (row.first_seen < h.first) h.first = row.first_seen
      if (row.last_seen > h.last) h.last = row.last_seen
      out.set(key, h)
    })
  }
  return out
}
export function hostRows(rows: HistoryRow[]): Map<string, HostSums> {
  return new Map(
    rows.map((row) => {
      const h = row as HostRow & { bucket_start: string | null }
      return [
        `${h.bucket_start}|${h.address}`,
        {
          sent: h.bytes_sent,
          bytes: h.bytes_sent + h.bytes_received,
          received: h.bytes_received,
          conversations: h.conversations,
          first: h.first_seen,
          last: h.last_seen,
        },
      ]
    }),
  )
}
