/**
 * The one contract between the engine and every face of Flowscope (Electron IPC, serve-mode
 * WebSocket, renderer). Requests are Promise-returning invokes; streams are events.
 * Every message that crosses a process or network boundary is validated with these schemas.
 *
 * Pure TypeScript + zod: no Node, DOM or electron imports here.
 */
import { z } from 'zod'
import { AlertConfig, AlertNotice, AlertsList } from './alerts'
import { CaptureSnapshot, ConnectionsView, ViewResult } from './capture'
import {
  AlertHistoryQuery,
  AlertHistoryRow,
  HistoryQuery,
  HistoryResult,
  HistoryRetention,
  HistoryRetentionChange,
  ProbeHistoryQuery,
  ProbeHistoryResult,
  StoreFailure,
} from './history'
import { ProbeResult, ProbeSpec, ProbeTargetStats } from './probes'
import { SettingsChange, SettingsState } from './settings'

/**
 * Error codes that cross boundaries as data. CANCELLED is not a failure to show: the request was
 * superseded by a newer one of the same method on the same connection (see SUPERSEDING_METHODS).
 */
export const ErrorCode = z.enum([
  'BAD_REQUEST',
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'UNAVAILABLE',
  'CANCELLED',
  'INTERNAL',
])
export type ErrorCode = z.infer<typeof ErrorCode>

export interface Failure {
  ok: false
  code: ErrorCode
  message: string
}
export type Result<T> = { ok: true; value: T } | Failure

export const fail = (code: ErrorCode, message: string): Failure => ({ ok: false, code, message })

// ---------------------------------------------------------------------------------------------
// DTOs

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** Which face the renderer is talking to. */
  transport: z.enum(['ipc', 'websocket']),
  platform: z.string(),
  tick_ms: z.number().int().positive(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const InterfaceInfo = z.object({
  name: z.string(),
  addresses: z.array(
    z.object({
      family: z.enum(['IPv4', 'IPv6']),
      address: z.string(),
      cidr: z.string().nullable(),
    }),
  ),
  mac: z.string().nullable(),
  /** Kernel operstate: up, down, unknown, lowerlayerdown, dormant, notpresent, testing. */
  state: z.string(),
  mtu: z.number().int().nullable(),
  /** Link speed in Mbit/s where the driver reports it. */
  speed_mbps: z.number().nullable(),
  /** Whether this process may open a live capture on the interface, and if not, why. */
  capture: z.object({ allowed: z.boolean(), reason: z.string().nullable() }),
})
export type InterfaceInfo = z.infer<typeof InterfaceInfo>

/** nload-style statistics for one direction of one interface, rates in bytes per second. */
export const DirectionStats = z.object({
  current_bps: z.number().nonnegative(),
  average_bps: z.number().nonnegative(),
  min_bps: z.number().nonnegative(),
  max_bps: z.number().nonnegative(),
  /** Bytes counted since monitoring of this interface started. */
  total_bytes: z.number().nonnegative(),
  /** Packets counted since monitoring of this interface started. */
  total_packets: z.number().nonnegative(),
})
export type DirectionStats = z.infer<typeof DirectionStats>

export const InterfaceRates = z.object({
  name: z.string(),
  rx: DirectionStats,
  tx: DirectionStats,
  /** Packets the kernel dropped on receive since monitoring started. */
  rx_dropped: z.number().nonnegative(),
  /** Seconds this interface has been monitored. */
  elapsed_s: z.number().nonnegative(),
})
export type InterfaceRates = z.infer<typeof InterfaceRates>

/** One sample per tick, sent to every subscriber. */
export const BandwidthTick = z.object({
  /** ISO 8601 UTC time of the sample. */
  time: z.string(),
  interfaces: z.array(InterfaceRates),
})
export type BandwidthTick = z.infer<typeof BandwidthTick>

/** Recent per-interface rate history, oldest first, so a new view draws a full graph at once. */
export const BandwidthHistory = z.object({
  tick_ms: z.number().int().positive(),
  interfaces: z.record(
    z.string(),
    z.object({
      times: z.array(z.string()),
      rx_bps: z.array(z.number()),
      tx_bps: z.array(z.number()),
    }),
  ),
})
export type BandwidthHistory = z.infer<typeof BandwidthHistory>

/** Live capture (iftop) on one interface at a time. */
export const CaptureState = z.object({
  active: z.boolean(),
  iface: z.string().nullable(),
  filter: z.string().nullable(),
  /** ISO 8601 UTC start time of the running capture. */
  started_at: z.string().nullable(),
  /** A capture file opened in the UI (its name, not its path) instead of an interface. */
  file: z.string().nullable().optional(),
  /**
   * Whether conversations get reverse DNS names (iftop's `n`; on by default in the UI). Absent
   * from engines before it existed.
   */
  resolve: z.boolean().optional(),
  /** Why the last capture ended or could not start, with what to do about it. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})
export type CaptureState = z.infer<typeof CaptureState>

/**
 * Flow export (IPFIX / NetFlow v9, docs/flow-export.md) from the running capture, cumulative
 * since the capture started. `messages` and `bytes` left for the collectors; `dropped`: messages
 * not sent because a collector's queue was full or (TCP) it was not connected.
 */
export const ExportHealth = z.object({
  records: z.number().nonnegative(),
  messages: z.number().nonnegative(),
  bytes: z.number().nonnegative(),
  send_errors: z.number().nonnegative(),
  dropped: z.number().nonnegative(),
  collectors: z.array(
    z.object({
      url: z.string(),
      /** connecting; up (the last sends went out); down (refused, unreachable, not connected). */
      state: z.enum(['connecting', 'up', 'down']),
      last_error: z.string().nullable(),
    }),
  ),
})
export type ExportHealth = z.infer<typeof ExportHealth>

export const CaptureHealth = z.object({
  /** Packets libpcap received, and those the kernel / interface dropped (pcap_stats). */
  received: z.number().nonnegative(),
  dropped_kernel: z.number().nonnegative(),
  dropped_interface: z.number().nonnegative(),
  /** Present while the capture exports flows. */
  export: ExportHealth.optional(),
})
export type CaptureHealth = z.infer<typeof CaptureHealth>

export const CaptureTick = z.object({
  iface: z.string(),
  snapshot: CaptureSnapshot,
  health: CaptureHealth.nullable(),
  /** Ticks the worker merged into this one because the engine was busy. */
  skipped: z.number().int().nonnegative(),
  /**
   * This client's Connections view rows over the whole flow table (see `capture.view`). A client
   * with a view gets its rows here and an empty `snapshot.conversations`.
   */
  view: ViewResult.optional(),
  /**
   * Engine only (transports replace it with each client's own `view`): every client's view rows
   * by client id (CallContext.client.id).
   */
  views: z.record(z.string(), ViewResult).optional(),
  /**
   * Engine only: a tick sent early to answer these clients' new views; transports send it to
   * them alone. Absent: every client gets the tick.
   */
  to: z.array(z.string()).optional(),
  /** A file read to its end: the table no longer changes. */
  eof: z.boolean().optional(),
  /**
   * A capture file opened in the UI (its name; `iface` is then `file:<name>`): an analysis, not
   * traffic on an interface, so metrics and alert rules skip its ticks.
   */
  file: z.string().optional(),
})
export type CaptureTick = z.infer<typeof CaptureTick>

export const HistoryStatus = z.object({
  /** The database file. */
  path: z.string(),
  /** Whether this engine is recording into it now. */
  recording: z.boolean(),
  /** Why recording stopped or never started (the engine goes on in memory). */
  failure: StoreFailure.nullable(),
})
export type HistoryStatus = z.infer<typeof HistoryStatus>

/** Active probes (latency, jitter, loss) running in the probe worker. */
export const ProbesState = z.object({
  active: z.boolean(),
  targets: z.array(ProbeSpec),
  /** Why the last run ended early or could not start (e.g. no ICMP rights), with the fix. */
  error: z.object({ target: z.string(), code: z.string(), message: z.string() }).nullable(),
})
export type ProbesState = z.infer<typeof ProbesState>

export const ProbesStart = z
  .object({
    targets: z
      .array(
        z.object({
          target: z.string().min(1).max(2048),
          interval_ms: z.number().int().min(10).max(3_600_000).default(1000),
          timeout_ms: z.number().int().min(10).max(60_000).default(2000),
        }),
      )
      .min(1)
      .max(1000),
  })
  .strict()

/** The probe targets an operator keeps between runs (the Probes page's list). */
export const ProbeTargetList = z
  .object({
    targets: z.array(z.string().min(1).max(2048)).max(1000),
    interval_ms: z.number().int().min(10).max(3_600_000),
  })
  .strict()
export type ProbeTargetList = z.infer<typeof ProbeTargetList>

/**
 * Flow export for live captures (serve / desktop): collector URLs (ipfix://HOST[:PORT],
 * ipfix+tcp://..., netflow9://...) and the exporter's timeouts. Kept in the history database.
 */
export const FlowExportSettings = z
  .object({
    enabled: z.boolean(),
    collectors: z.array(z.string().max(1024)).max(16),
    active_timeout_s: z.number().default(60),
    idle_timeout_s: z.number().default(15),
    /** IPFIX observation domain id / NetFlow v9 source id. */
    domain_id: z.number().default(0),
  })
  .strict()
export type FlowExportSettings = z.infer<typeof FlowExportSettings>

// ---------------------------------------------------------------------------------------------
// The invoke map: method -> params schema and result schema.

const NoParams = z.object({}).strict()

export const invokeSchemas = {
  /** Name, version and transport of the running engine. */
  'app.info': { params: NoParams, result: AppInfo },
  /** Interfaces of this host (or network namespace) with addresses, state and capture rights. */
  'interfaces.list': { params: NoParams, result: z.array(InterfaceInfo) },
  /** The latest tick plus the rate history kept by the engine. */
  'bandwidth.history': { params: NoParams, result: BandwidthHistory },
  /** Starts live capture on an interface (stopping any running one); resolves once it is open. */
  'capture.start': {
    params: z
      .object({
        iface: z.string().min(1).max(64),
        filter: z.string().max(2048).optional(),
        /** Reverse DNS names for this capture; default: the current setting (on at first). */
        resolve: z.boolean().optional(),
      })
      .strict(),
    result: CaptureState,
  },
  /**
   * This client's Connections view (sort, filter, aggregation, window of rows): applied by the
   * capture worker to the whole flow table; every tick then carries its rows in `view`, to this
   * client only (each connection has its own view; it is dropped when the connection closes).
   * Kept across captures (a BPF change or a file opened keeps every client's view). Refused
   * (UNAVAILABLE) for a client beyond the 32 that may have a view at once.
   */
  'capture.view': { params: ConnectionsView, result: z.object({ ok: z.literal(true) }) },
  /**
   * Opens a pcap/pcapng file by path into the same table (the desktop app's file picker). Over
   * WebSocket this is refused: serve mode uploads the file to POST /api/capture-file instead.
   */
  'capture.openFile': {
    params: z
      .object({ path: z.string().min(1).max(4096), filter: z.string().max(2048).optional() })
      .strict(),
    result: CaptureState,
  },
  /**
   * Turns reverse DNS names on or off (iftop's `n`), in the running capture at once (names
   * appear in later ticks, never delaying one) and for later captures.
   */
  'capture.setResolve': {
    params: z.object({ resolve: z.boolean() }).strict(),
    result: CaptureState,
  },
  'capture.stop': { params: NoParams, result: CaptureState },
  'capture.state': { params: NoParams, result: CaptureState },
  /** Starts probing these targets (replacing any running probes); each runs until stopped. */
  'probes.start': { params: ProbesStart, result: ProbesState },
  'probes.stop': { params: NoParams, result: ProbesState },
  'probes.state': { params: NoParams, result: ProbesState },
  /** The kept target list (in the history database's meta table; in memory with --no-store). */
  'probes.targets.get': { params: NoParams, result: ProbeTargetList },
  'probes.targets.set': { params: ProbeTargetList, result: ProbeTargetList },
  /** Where history is kept and whether it is being recorded. */
  'history.status': { params: NoParams, result: HistoryStatus },
  /**
   * Recorded totals over a time range, grouped and optionally bucketed, top N by bytes. Both
   * history lists carry at most HISTORY_MAX_ROWS (20,000) rows, then say `truncated`. A newer
   * 'history.query' on the same connection cancels one still running (it answers CANCELLED).
   */
  'history.query': { params: HistoryQuery, result: HistoryResult },
  /** Recorded probe results over a range, per target, optionally bucketed; superseded as above. */
  'history.probes': { params: ProbeHistoryQuery, result: ProbeHistoryResult },
  /** Recorded alert firings and clearings over a range, oldest first (`report --kind alerts`). */
  'history.alerts': {
    params: AlertHistoryQuery,
    result: z.object({ rows: z.array(AlertHistoryRow) }),
  },
  /** How long each kind of history is kept per tier (this session's recorder). */
  'history.retention': { params: NoParams, result: HistoryRetention },
  /** Changes retention (per kind and tier); applied from the next maintenance pass. */
  'history.setRetention': { params: HistoryRetentionChange, result: HistoryRetention },
  /**
   * Reserves a streamed export of a query. The ticket is redeemed once, within a minute, at the
   * transport's download address (serve mode: /api/export/TICKET; desktop: flowscope-export://TICKET).
   */
  'history.export': {
    params: z.object({ query: HistoryQuery, format: z.enum(['csv', 'json']) }).strict(),
    result: z.object({ ticket: z.string(), filename: z.string() }),
  },
  /** Alerts pending or firing now, and this run's latest firings and clearings. */
  'alerts.list': { params: NoParams, result: AlertsList },
  /** The alert rules and webhooks in force (docs/alerts.md). */
  'alerts.rules.get': { params: NoParams, result: AlertConfig },
  /** Replaces the rules and webhooks (kept in the history database); firing alerts of removed rules resolve. */
  'alerts.rules.set': { params: AlertConfig, result: AlertConfig },
  /** The operator's settings (common/settings.ts) and the facts of this run they cannot change. */
  'settings.get': { params: NoParams, result: SettingsState },
  /** Changes some settings (each top-level key replaced whole); kept in the history database. */
  'settings.set': { params: SettingsChange, result: SettingsState },
  /** Flow export settings for live captures (docs/flow-export.md). */
  'flowexport.get': { params: NoParams, result: FlowExportSettings },
  /**
   * Replaces them (kept in the history database); a running capture restarts to apply them. Bad
   * URLs or values: BAD_REQUEST naming the field.
   */
  'flowexport.set': { params: FlowExportSettings, result: FlowExportSettings },
} as const

/**
 * Methods where a newer request on the same connection (WebSocket client, desktop port) cancels
 * the one still running: the older answers `{ ok: false, code: 'CANCELLED' }`, which a client
 * treats as "superseded" and ignores. A closed connection cancels all of its requests.
 */
export const SUPERSEDING_METHODS: ReadonlySet<string> = new Set(['history.query', 'history.probes'])

export type InvokeMap = typeof invokeSchemas
export type Method = keyof InvokeMap
export type ParamsOf<M extends Method> = z.infer<InvokeMap[M]['params']>
export type ResultOf<M extends Method> = z.infer<InvokeMap[M]['result']>

// ---------------------------------------------------------------------------------------------
// The event map: event name -> payload schema.

export const eventSchemas = {
  /** Per-interface rates, once per tick (default 1 s). */
  'bandwidth.tick': BandwidthTick,
  /** The set of interfaces changed (one appeared or vanished). */
  'interfaces.changed': z.object({ names: z.array(z.string()) }),
  /** Flow table and capture health of the running capture, once per tick. */
  'capture.tick': CaptureTick,
  /** Capture started, stopped or failed. */
  'capture.state': CaptureState,
  /** Each probe's outcome, in batches as they complete (for latency graphs). */
  'probes.results': z.object({ results: z.array(ProbeResult) }),
  /** Every target's window and run statistics, once per tick. */
  'probes.stats': z.object({ time: z.string(), targets: z.array(ProbeTargetStats) }),
  /** Probes started, stopped or failed. */
  'probes.state': ProbesState,
  /** The history store stopped writing (disk full, read-only, ...); live views go on. */
  'history.failure': StoreFailure,
  /** An alert fired or resolved. */
  alert: AlertNotice,
  /** The settings changed (from any window or browser), so every open one follows. */
  'settings.changed': SettingsState,
} as const

export type EventMap = typeof eventSchemas
export type EventName = keyof EventMap
export type PayloadOf<E extends EventName> = z.infer<EventMap[E]>

export const isMethod = (name: unknown): name is Method =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(invokeSchemas, name)

export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(eventSchemas, name)

/**
 * The API as the renderer sees it, whatever the transport. Implemented by the preload bridge
 * (window.flowscope) and by the WebSocket client.
 */
export interface FlowscopeApi {
  invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>>
  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void
}

// ---------------------------------------------------------------------------------------------
// Wire format of the WebSocket transport (Electron IPC carries the same request/event shapes).

export const WireRequest = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.unknown(),
})
export type WireRequest = z.infer<typeof WireRequest>

export const WireFailure = z.object({ ok: z.literal(false), code: ErrorCode, message: z.string() })

export const WireMessage = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('response'),
    id: z.number().int().nonnegative(),
    result: z.union([z.object({ ok: z.literal(true), value: z.unknown() }), WireFailure]),
  }),
  z.object({ kind: z.literal('event'), event: z.string(), payload: z.unknown() }),
])
export type WireMessage = z.infer<typeof WireMessage>
