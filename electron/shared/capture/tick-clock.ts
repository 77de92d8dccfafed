/**
 * When live ticks fall, and when the capture helper hands its packets over to be ready for them.
 */

/**
 * Ticks fall this long after a wall-clock second starts. Rate windows cover complete seconds,
 * and the kernel hands packets over in blocks up to 250 ms after they arrive (the helper's
 * BLOCK_MS): a tick just after the second ended would count its last packets a second late,
 * under-reading the 2 s rate.
 */
export const TICK_PHASE_MS = 400
/** The helper hands packets over this long before each tick (its `-t`/`-a`). */
export const HANDOVER_LEAD_MS = 10
/**
 * A tick due within this long runs when packets arrive: the hand-over and the tick then cost the
 * worker one wake-up, not two 10 ms apart. The rates are the same (complete seconds only).
 */
export const TICK_EARLY_MS = 15

/** The first tick time after `nowUs`: every tickMs, TICK_PHASE_MS into the second when it fits. */
export function nextTickAfter(nowUs: number, tickMs: number): number {
  const tickUs = tickMs * 1000
  const phaseUs = (TICK_PHASE_MS * 1000) % tickUs
  return (Math.floor((nowUs - phaseUs) / tickUs) + 1) * tickUs + phaseUs
}

/**
 * The helper's hand-over schedule for ticks every tickMs: each period, `atMs` into it on the wall
 * clock (epoch-aligned, as nextTickAfter), HANDOVER_LEAD_MS before the tick.
 */
export function handoverFor(tickMs: number): { periodMs: number; atMs: number } {
  const periodMs = Math.round(tickMs)
  const phase = TICK_PHASE_MS % periodMs
  return { periodMs, atMs: (phase - HANDOVER_LEAD_MS + periodMs) % periodMs }
}
