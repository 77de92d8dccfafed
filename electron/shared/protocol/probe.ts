/**
 * The probe worker's payloads in the one worker protocol (worker.ts). Results travel batched per
 * tick (every result completed since the previous tick sent), with the late / duplicate counters
 * that changed; while the host lags the worker keeps merging into the next tick.
 */
import { z } from 'zod'
import { ProbeKind, ProbeResult, ProbeSpec } from '../../../common/probes'
import { AckMessage, StopMessage, tickFields, WorkerFailure } from './worker'

/** Most probes in flight at once per target kind (and in all): the worker never exceeds them. */
export const ConcurrencyLimits = z.object({
  total: z.number().int().positive().max(100_000),
  per_kind: z.record(ProbeKind, z.number().int().positive().max(100_000)),
})
export type ConcurrencyLimits = z.infer<typeof ConcurrencyLimits>

/** The probe worker's options: the one options type of this component. */
export const StartMessage = z.object({
  type: z.literal('start'),
  specs: z.array(ProbeSpec).min(1).max(10_000),
  concurrency: ConcurrencyLimits,
  /** Result batching period (default 1000 ms). */
  tick_ms: z.number().int().min(10).max(60_000).optional(),
  /** First seq of every target (a restarted worker continues after the results already seen). */
  seq_base: z.number().int().nonnegative().optional(),
})
export type StartMessage = z.infer<typeof StartMessage>

export const ToWorker = z.discriminatedUnion('type', [StartMessage, AckMessage, StopMessage])
export type ToWorker = z.infer<typeof ToWorker>

export const Counters = z.object({
  late: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
})

export const Lateness = z.object({
  n: z.number(),
  mean_ms: z.number(),
  p99_ms: z.number(),
  max_ms: z.number(),
})

const batch = {
  results: z.array(ProbeResult),
  /** Counters that changed since the last message sent (all of them in `ended`). */
  counters: z.record(z.string(), Counters),
  /** Results dropped because the host lagged so long that the worker's buffer filled. */
  results_dropped: z.number().int().nonnegative(),
}

export const FromWorker = z.discriminatedUnion('type', [
  /** Probers are ready (names resolved, sockets open) and the schedule has started. */
  z.object({ type: z.literal('started') }),
  /** Every result completed since the previous tick sent. */
  z.object({ type: z.literal('tick'), ...tickFields, ...batch }),
  /** A target that cannot be probed at all (e.g. no ICMP rights); the message says how to fix it. */
  WorkerFailure,
  /** Every probe has finished (count reached or stopped): the last results. */
  z.object({ type: z.literal('ended'), ...batch, lateness: Lateness }),
])
export type FromWorker = z.infer<typeof FromWorker>
export type ProbeTick = Extract<FromWorker, { type: 'tick' }>
export type ProbeEnded = Extract<FromWorker, { type: 'ended' }>
