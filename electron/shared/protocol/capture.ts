/**
 * Messages between the engine (CaptureClient) and the capture worker (electron/workers/capture/main.ts),
 * validated with zod on both sides. The worker sends one aggregated snapshot per tick, never
 * per-packet data; the parent acknowledges each tick so the worker can skip ticks (the next one
 * carries the merged state) instead of queueing without bound when the parent is slow.
 */
import { z } from 'zod'
import { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { CAPTURE_ERROR_CODES } from '../capture/errors'

export const WorkerSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('live'),
    iface: z.string().min(1),
    filter: z.string().optional(),
    snaplen: z.number().int().min(64).max(262144).optional(),
    bufferBytes: z
      .number()
      .int()
      .min(1 << 20)
      .max(1 << 30)
      .optional(),
  }),
  z.object({ kind: z.literal('file'), path: z.string().min(1), filter: z.string().optional() }),
])
export type WorkerSource = z.infer<typeof WorkerSource>

export const StartMessage = z.object({
  type: z.literal('start'),
  source: WorkerSource,
  /** Snapshot period (default 1000 ms). */
  tickMs: z.number().int().min(50).max(60_000).optional(),
  /** Conversations per snapshot (default 20). */
  top: z.number().int().min(0).max(10_000).optional(),
  maxFlows: z.number().int().min(1).optional(),
  idleTimeoutS: z.number().positive().optional(),
  /** Send every conversation (active and ended) with the final message, for reports. */
  finalConversations: z.boolean().optional(),
  /** Send with each tick the conversations that changed or ended since the last one (history). */
  record: z.boolean().optional(),
})
export type StartMessage = z.infer<typeof StartMessage>

export const ToWorker = z.discriminatedUnion('type', [
  StartMessage,
  /** The parent has handled tick `seq`. */
  z.object({ type: z.literal('ack'), seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('stop') }),
])
export type ToWorker = z.infer<typeof ToWorker>

export const CaptureStatsSchema = z.object({
  received: z.number().nonnegative(),
  dropped_kernel: z.number().nonnegative(),
  dropped_interface: z.number().nonnegative(),
})

export const FromWorker = z.discriminatedUnion('type', [
  /** The source is open and aggregating. */
  z.object({
    type: z.literal('started'),
    kind: z.enum(['live', 'file']),
    link_type: z.number().int(),
    link_type_name: z.string(),
  }),
  /** One aggregated state per tick. `skipped` counts ticks not sent because the parent lagged. */
  z.object({
    type: z.literal('tick'),
    seq: z.number().int().nonnegative(),
    snapshot: CaptureSnapshot,
    stats: CaptureStatsSchema.nullable(),
    skipped: z.number().int().nonnegative(),
    /** With `record`: conversations changed (cumulative records) or ended since the last tick sent. */
    flows: z
      .object({ active: z.array(ConversationRecord), ended: z.array(ConversationRecord) })
      .nullable(),
  }),
  /** A capture failure as data; the worker ends after sending it. */
  z.object({
    type: z.literal('error'),
    ok: z.literal(false),
    code: z.enum(CAPTURE_ERROR_CODES as [string, ...string[]]),
    message: z.string(),
  }),
  /** The capture ended (stop, end of file); last message from the worker. */
  z.object({
    type: z.literal('ended'),
    reason: z.enum(['signal', 'duration', 'eof', 'error']),
    /** Why the source stopped early (reason `error`); the counts up to then are good. */
    packets: z.number().int().nonnegative(),
    stats: CaptureStatsSchema.nullable(),
    snapshot: CaptureSnapshot,
    warning: z.string().nullable(),
    conversations: z.array(ConversationRecord).nullable(),
    /** With `record`: what changed after the last tick, so nothing is left unrecorded. */
    flows: z
      .object({ active: z.array(ConversationRecord), ended: z.array(ConversationRecord) })
      .nullable()
      .optional(),
  }),
])
export type FromWorker = z.infer<typeof FromWorker>
export type TickMessage = Extract<FromWorker, { type: 'tick' }>
export type EndedMessage = Extract<FromWorker, { type: 'ended' }>
export type WorkerFailure = Extract<FromWorker, { type: 'error' }>
