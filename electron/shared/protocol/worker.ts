/**
 * The one worker protocol, shared by every worker (capture, probe): the envelope messages, the
 * backpressure rule and how a worker reaches its host. Each worker's own file (capture.ts,
 * probe.ts) adds only its payloads:
 *
 *   host → worker   start (once) · ack {seq} (per tick handled) · stop
 *   worker → host   started · tick {seq, skipped, ...} (one per tick) · error {code, message}
 *                   · ended (last message)
 *
 * A worker sends per-tick deltas, never running totals. It keeps at most MAX_IN_FLIGHT ticks
 * unacknowledged; while the host lags it merges ticks (the next tick carries everything since
 * the last one sent, `skipped` says how many were merged) instead of queueing without bound.
 */
import { z } from 'zod'

/** Ticks a worker may leave unacknowledged before it merges ticks. */
export const MAX_IN_FLIGHT = 2

export type WorkerName = 'capture' | 'probe'

/** The host has handled tick `seq`. */
export const AckMessage = z.object({ type: z.literal('ack'), seq: z.number().int().nonnegative() })
/** Finish: stop reading or launching, send what is left, then `ended`, then exit. */
export const StopMessage = z.object({ type: z.literal('stop') })

/** A failure as data; the worker ends after sending it. */
export const WorkerFailure = z.object({
  type: z.literal('error'),
  ok: z.literal(false),
  code: z.string().min(1).max(64),
  message: z.string().max(8192),
  /** The target it is about (probe worker; '*' for all). */
  target: z.string().optional(),
})
export type WorkerFailure = z.infer<typeof WorkerFailure>

/** Fields every tick carries before its payload. */
export const tickFields = {
  seq: z.number().int().nonnegative(),
  /** Ticks merged into this one because the host had not acknowledged earlier ones. */
  skipped: z.number().int().nonnegative(),
}

/**
 * Worker side of the backpressure rule: `offer()` sends a tick when fewer than MAX_IN_FLIGHT are
 * unacknowledged, else counts it as skipped (the caller keeps accumulating; its next tick that
 * goes out carries the merged state).
 */
export class TickGate {
  private seq = 0
  private acked = 0
  private skipped = 0

  constructor(private readonly maxInFlight = MAX_IN_FLIGHT) {}

  ack(seq: number): void {
    if (seq > this.acked && seq <= this.seq) this.acked = seq
  }

  /** True when a tick may go out now. */
  get open(): boolean {
    return this.seq - this.acked < this.maxInFlight
  }

  /**
   * Builds and sends a tick if the gate is open (returns true); otherwise counts a skip. `build`
   * gets the tick's sequence number and how many ticks were merged into it.
   */
  offer(send: (seq: number, skipped: number) => void): boolean {
    if (!this.open) {
      this.skipped++
      return false
    }
    this.seq++
    const skipped = this.skipped
    this.skipped = 0
    send(this.seq, skipped)
    return true
  }
}
