/**
 * The capture worker's payloads in the one worker protocol (worker.ts): the engine host
 * (WorkerHost) and electron/workers/capture/main.ts validate them with these schemas. The worker
 * sends one aggregated snapshot per tick, never per-packet data, and (with `record`) each changed
 * conversation's delta since the previous tick, so the history store files them as they are.
 */
import { z } from 'zod'
import {
  CaptureSnapshot,
  ConnectionsView,
  ConversationRecord,
  ViewResult,
} from '../../../common/capture'
import { CaptureHealth } from '../../../common/contract'
import { AckMessage, StopMessage, tickFields, WorkerFailure } from './worker'
import { FlowExportOptionsSchema } from '../flowexport/options-schema'
import type { FlowDelta } from '../capture/pipeline'

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

/**
 * Clients (WebSocket connections, desktop ports) that may have a Connections view at once: serve
 * mode's default client limit. The engine refuses a view for one more client.
 */
export const MAX_VIEWS = 32

/** A client's opaque id (CallContext.client.id). */
export const ClientId = z.string().regex(/^[\w.-]{1,64}$/)

/** Something keyed by client id, at most MAX_VIEWS of them. */
const byClient = <T extends z.ZodTypeAny>(value: T) =>
  z
    .record(ClientId, value)
    .refine((r) => Object.keys(r).length <= MAX_VIEWS, `at most ${MAX_VIEWS} views`)

/** Every client's Connections view by client id. */
export const ClientViews = byClient(ConnectionsView)
export type ClientViews = z.infer<typeof ClientViews>

/** Most busiest hosts and conversations a tick may carry. */
export const MAX_BUSIEST = 1000

/** The capture worker's options: the one options type of this component. */
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
  /** Send with each tick the conversation deltas since the last tick sent (history). Off: none. */
  record: z.boolean().optional(),
  /**
   * Reverse DNS names for the conversations' addresses (asynchronous: a name appears in a later
   * tick, never delaying one). Off by default. Processes (live captures), services, countries
   * and networks are always attributed.
   */
  resolve: z.boolean().optional(),
  /** DNS servers for reverse lookups ("127.0.0.2", "[::1]:5353"); default the system's. */
  dnsServers: z.array(z.string().min(1).max(256)).max(16).optional(),
  /** Export the flows to collectors (IPFIX / NetFlow v9) while capturing; stats ride on ticks. */
  export: FlowExportOptionsSchema.optional(),
  /**
   * Each client's Connections view of the whole table (sort, filter, aggregation, window) by
   * client id: each tick then carries every view's rows by the same ids (`views`). Replaced while
   * running with a `view` message.
   */
  views: ClientViews.optional(),
  /**
   * How many of the whole table's busiest hosts and conversations (by 2 s rate) each tick
   * carries (`snapshot.busiest`), for alert rules on host or conversation metrics. 0 or absent:
   * none are computed. Changed while running with a `busiest` message.
   */
  busiest: z.number().int().min(0).max(MAX_BUSIEST).optional(),
  /** A file stays open after its end, its table still served to views, until `stop` (the UI). */
  hold: z.boolean().optional(),
})
export type StartMessage = z.infer<typeof StartMessage>

/**
 * The whole set of views, replacing the previous one (a client gone is left out). A new or
 * changed view is answered at once by a tick sent `to` its client(s), at most every 50 ms.
 */
export const ViewMessage = z.object({ type: z.literal('view'), views: ClientViews })
export type ViewMessage = z.infer<typeof ViewMessage>

/** Turns reverse DNS on or off in a running capture (iftop's `n`). */
export const ResolveMessage = z.object({ type: z.literal('resolve'), on: z.boolean() })
export type ResolveMessage = z.infer<typeof ResolveMessage>

/** How many busiest hosts and conversations each tick carries from now on (see `start.busiest`). */
export const BusiestMessage = z.object({
  type: z.literal('busiest'),
  n: z.number().int().min(0).max(MAX_BUSIEST),
})
export type BusiestMessage = z.infer<typeof BusiestMessage>

export const ToWorker = z.discriminatedUnion('type', [
  StartMessage,
  AckMessage,
  StopMessage,
  ViewMessage,
  ResolveMessage,
  BusiestMessage,
])
export type ToWorker = z.infer<typeof ToWorker>

const count = z.number().int().nonnegative()

/**
 * What one conversation did since its previous delta: packets and bytes per direction,
 * retransmissions, the packets' first/last capture time (first: just after the previous delta's
 * last packet), the handshake RTT once (in the delta where it was first seen), and whether the
 * conversation ended (idle expiry, eviction, end of file) with this delta.
 */
export const FlowDeltaSchema = ConversationRecord.pick({
  protocol: true,
  address_a: true,
  port_a: true,
  address_b: true,
  port_b: true,
  packets_a_to_b: true,
  bytes_a_to_b: true,
  packets_b_to_a: true,
  bytes_b_to_a: true,
  retransmissions: true,
  first_seen_us: true,
  last_seen_us: true,
  handshake_rtt_ms: true,
  process: true,
  pid: true,
  process_side: true,
  service: true,
  name_a: true,
  name_b: true,
  range_a: true,
  range_b: true,
  country_a: true,
  country_b: true,
  asn_a: true,
  asn_b: true,
  as_org_a: true,
  as_org_b: true,
}).extend({ ended: z.boolean() }) satisfies z.ZodType<FlowDelta>

/** With `record`: deltas since the last message sent; ended conversations come first. */
const deltas = {
  deltas: z.array(FlowDeltaSchema).nullable(),
  /** Ended conversations' deltas dropped because the host lagged too long (history is short). */
  deltas_dropped: count,
}

export const StartedMessage = z.object({
  type: z.literal('started'),
  kind: z.enum(['live', 'file']),
  link_type: z.number().int(),
  link_type_name: z.string(),
})

export const TickMessage = z.object({
  type: z.literal('tick'),
  ...tickFields,
  snapshot: CaptureSnapshot,
  stats: CaptureHealth.nullable(),
  ...deltas,
  /**
   * Each view's rows by client id (clients with a view); a file held open after its end says
   * `eof`. Clients with the same view share one result.
   */
  views: byClient(ViewResult).optional(),
  /**
   * Sent early to answer these clients' new views (carrying only theirs): the others are not
   * sent it. Absent: a periodic tick, for every client.
   */
  to: z.array(ClientId).max(MAX_VIEWS).optional(),
  eof: z.boolean().optional(),
})

export const EndedMessage = z.object({
  type: z.literal('ended'),
  reason: z.enum(['signal', 'duration', 'eof', 'error']),
  /** Why the source stopped early (reason `error`); the counts up to then are good. */
  warning: z.string().nullable(),
  packets: count,
  stats: CaptureHealth.nullable(),
  snapshot: CaptureSnapshot,
  conversations: z.array(ConversationRecord).nullable(),
  ...deltas,
})

export const FromWorker = z.discriminatedUnion('type', [
  /** The source is open and aggregating. */
  StartedMessage,
  /** One aggregated state per tick. */
  TickMessage,
  /** A capture failure as data (code from shared/capture/errors.ts); the worker ends after it. */
  WorkerFailure,
  /** The capture ended (stop, end of file); last message from the worker. */
  EndedMessage,
])
export type FromWorker = z.infer<typeof FromWorker>
export type TickMessage = z.infer<typeof TickMessage>
export type EndedMessage = z.infer<typeof EndedMessage>
export type StartedMessage = z.infer<typeof StartedMessage>
export { WorkerFailure } from './worker'
