/**
 * iftop-style rate windows over per-second byte buckets kept in a small ring.
 *
 * A ring holds the last RING_S seconds (the 40 s window plus the current second) of one or
 * more directions (RING_S buckets each, laid out back to back). Buckets are rolled lazily: only when something is added to a later second,
 * or read. Windows cover complete seconds only: at capture time `nowSec` (the current,
 * incomplete second) the 2 s window is seconds nowSec-2 and nowSec-1. Like iftop, while the
 * capture is younger than a window the divisor is the capture's age (iftop divides by
 * min(history_len, window)), so the first seconds are not understated.
 */
/** Longest window, seconds. */
export const MAX_WINDOW_S = 40
/** Buckets per direction: the longest window plus the current, incomplete second. */
export const RING_S = MAX_WINDOW_S + 1

/** Zero the buckets for seconds (lastSec, sec] in `dirs` directions of ring. */
export function rollRing(ring: Float64Array, dirs: number, lastSec: number, sec: number): void {
  if (sec - lastSec >= RING_S) {
    ring.fill(0)
    return
  }
  for (let k = lastSec + 1; k <= sec; k++) {
    const i = k % RING_S
    for (let d = 0; d < dirs; d++) ring[d * RING_S + i] = 0
  }
}

/**
 * Sum of the complete seconds [nowSec - w, nowSec - 1] of direction dir, given that the ring
 * holds seconds (ringSec - RING_S, ringSec].
 */
export function windowSum(
  ring: Float64Array,
  dir: number,
  ringSec: number,
  nowSec: number,
  w: number,
): number {
  const from = Math.max(nowSec - w, ringSec - RING_S + 1, 0)
  const to = Math.min(nowSec - 1, ringSec)
  let sum = 0
  const base = dir * RING_S
  for (let k = from; k <= to; k++) sum += ring[base + (k % RING_S)]!
  return sum
}

/** iftop's divisor: the window length, or the capture's age in complete seconds if shorter. */
export function windowDivisor(startSec: number, nowSec: number, w: number): number {
  const age = nowSec - startSec
  return age < w ? age : w
}

/**
 * 2 s average ending with (and including) second k, for the peak. Peak is the highest 2 s
 * average of any complete pair of seconds (a sliding window stepped by 1 s; iftop's peak uses
 * its non-overlapping 2 s buckets, so ours is >= iftop's by at most the alignment effect).
 */
export function pairRate(ring: Float64Array, dir: number, k: number, startSec: number): number {
  const base = dir * RING_S
  const sum =
    ring[base + (k % RING_S)]! + (k - 1 >= startSec ? ring[base + ((k - 1 + RING_S) % RING_S)]! : 0)
  return k - 1 >= startSec ? sum / 2 : sum
}

/**
 * iftop's peak: the highest 2 s average among the 2 s slots of its 40 s history (iftop keeps
 * 20 buckets of 2 s and recomputes the peak over them each refresh, ui_common.c
 * calculate_totals). Our slots are the pairs of complete seconds ending at nowSec - 1,
 * nowSec - 3, ..., so the newest slot is exactly the s2 window and peak >= s2.
 */
export function windowPeak(
  ring: Float64Array,
  dir: number,
  ringSec: number,
  nowSec: number,
  startSec: number,
): number {
  let peak = 0
  const oldest = Math.max(ringSec - RING_S + 1, startSec, 0)
  const base = dir * RING_S
  for (let k = nowSec - 1; k > nowSec - 1 - MAX_WINDOW_S; k -= 2) {
    if (k < oldest) break
    let sum = 0
    let secs = 0
    for (let j = k - 1; j <= k; j++) {
      if (j < startSec) continue
      secs++
      if (j >= oldest && j <= ringSec) sum += ring[base + (j % RING_S)]!
    }
    if (secs > 0 && sum / secs > peak) peak = sum / secs
  }
  return peak
}
