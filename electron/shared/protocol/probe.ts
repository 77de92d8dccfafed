import { z } from 'zod'
import { ProbeResult, ProbeSpec } from '../../../common/probes'

/** Messages between the engine (ProbeClient) and the probe worker; validated on receipt. */
export const ToWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    specs: z.array(ProbeSpec).min(1),
    /** Most probes in flight at once, across targets. */
    concurrency: z.number().int().positive().max(100_000),
  }),
  /** Launch nothing more, finish the probes in flight, send the last results, then 'done'. */
  z.object({ type: z.literal('stop') }),
])
export type ToWorker = z.infer<typeof ToWorker>

const Counters = z.object({
  late: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
})

export const Lateness = z.object({
  n: z.number(),
  mean_ms: z.number(),
  p99_ms: z.number(),
  max_ms: z.number(),
})

export const FromWorker = z.discriminatedUnion('type', [
  /** Probers are ready (names resolved, sockets open) and the schedule has started. */
  z.object({ type: z.literal('started') }),
  /** A batch of results (one flush per ~20 ms) and the late / duplicate counters per target. */
  z.object({
    type: z.literal('results'),
    results: z.array(ProbeResult),
    counters: z.record(z.string(), Counters),
  }),
  /** A target that cannot be probed at all (e.g. no ICMP rights); the message says how to fix it. */
  z.object({
    type: z.literal('fatal'),
    target: z.string(),
    code: z.enum(['BAD_REQUEST', 'PERMISSION_DENIED', 'UNAVAILABLE', 'INTERNAL']),
    message: z.string(),
  }),
  /** Every probe has finished (count reached or stopped). */
  z.object({ type: z.literal('done'), lateness: Lateness }),
])
export type FromWorker = z.infer<typeof FromWorker>
