/**
 * History queries over the SQLite store (electron/shared/store): typed params and result rows,
 * ready to be added to the contract's invoke map (e.g. 'history.query'). Pure TypeScript + zod.
 *
 * Times at the edge are ISO 8601 UTC strings with microseconds; counts are raw numbers.
 */
import { z } from 'zod'

/** Bucket steps the store keeps, finest first. */
export const HistoryStep = z.enum(['10s', '1m', '1h', '1d'])
export type HistoryStep = z.infer<typeof HistoryStep>

export const STEP_SECONDS: Record<HistoryStep, number> = {
  '10s': 10,
  '1m': 60,
  '1h': 3600,
  '1d': 86400,
}

export const HistoryGroupBy = z.enum([
  'interface',
  'conversation',
  'host',
  'protocol',
  'process',
  'service',
  'country',
  'asn',
])
export type HistoryGroupBy = z.infer<typeof HistoryGroupBy>

const count = z.number().int().nonnegative()

/**
 * A query: [from, to) in seconds since the epoch (UTC), grouped by one dimension, optionally
 * bucketed. Without `bucket` every group is one row over the whole range. The store reads the
 * finest resolution it still keeps for the range; a finer `bucket` than that is coarsened (see
 * `HistoryQueryMeta.step`).
 */
export const HistoryQuery = z
  .object({
    from_s: z.number().int().nonnegative(),
    to_s: z.number().int().nonnegative(),
    by: HistoryGroupBy,
    bucket: HistoryStep.nullable().default(null),
    /** Keep the N groups with the most bytes (both directions) over the range; null: all. */
    top: z.number().int().positive().nullable().default(null),
  })
  .refine((q) => q.from_s < q.to_s, { message: 'from must be before to' })
export type HistoryQuery = z.infer<typeof HistoryQuery>

/** What the store actually read for a query. */
export const HistoryQueryMeta = z.object({
  /**
   * Resolution the bulk of the range was read at: the finest kept for all of it, or the
   * requested bucket, or (unbucketed) coarse enough for at most 1,500 buckets. Edges and the
   * most recent minutes come from finer tiers where kept.
   */
  tier: HistoryStep,
  /** Bucket step of the rows (null when not bucketed): max(requested bucket, finest kept). */
  step: HistoryStep.nullable(),
  /** Range actually read: to 10 s where the fine tiers still hold the edges, else whole buckets. */
  from: z.string(),
  to: z.string(),
})
export type HistoryQueryMeta = z.infer<typeof HistoryQueryMeta>

const bucket = { bucket_start: z.string().nullable() }

/**
 * Same columns as the capture report's conversation CSV (plus bucket_start): the traffic, then
 * who is talking, the latest answer known for the conversation (null: never known; process and
 * pid only for live captures; names only where reverse DNS ran; country is the ISO code or the
 * special range's label).
 */
export const ConversationHistoryRow = z.object({
  ...bucket,
  protocol: z.string(),
  address_a: z.string(),
  port_a: z.number().int().nullable(),
  address_b: z.string(),
  port_b: z.number().int().nullable(),
  packets_a_to_b: count,
  bytes_a_to_b: count,
  packets_b_to_a: count,
  bytes_b_to_a: count,
  first_seen: z.string(),
  last_seen: z.string(),
  retransmissions: count,
  handshake_rtt_ms: z.number().nullable(),
  process: z.string().nullable(),
  pid: z.number().int().nullable(),
  service: z.string().nullable(),
  name_a: z.string().nullable(),
  name_b: z.string().nullable(),
  country_a: z.string().nullable(),
  country_b: z.string().nullable(),
  asn_a: count.nullable(),
  asn_b: count.nullable(),
})
export type ConversationHistoryRow = z.infer<typeof ConversationHistoryRow>

export const InterfaceHistoryRow = z.object({
  ...bucket,
  interface: z.string(),
  rx_bytes: count,
  tx_bytes: count,
  rx_packets: count,
  tx_packets: count,
  drops: count,
})
export type InterfaceHistoryRow = z.infer<typeof InterfaceHistoryRow>

/**
 * Per host (address), derived exactly from the conversation series: sent = as the source of
 * packets in its conversations. Same columns as the capture report's host CSV.
 */
export const HostHistoryRow = z.object({
  ...bucket,
  address: z.string(),
  packets_sent: count,
  bytes_sent: count,
  packets_received: count,
  bytes_received: count,
  conversations: count,
  first_seen: z.string(),
  last_seen: z.string(),
})
export type HostHistoryRow = z.infer<typeof HostHistoryRow>

/** Per IP protocol of the recorded conversations (the capture report also lists non-IP frames). */
export const ProtocolHistoryRow = z.object({
  ...bucket,
  protocol: z.string(),
  packets: count,
  bytes: count,
  conversations: count,
})
export type ProtocolHistoryRow = z.infer<typeof ProtocolHistoryRow>

/** What one side sent and received (as HostHistoryRow), per key. */
const sided = {
  packets_sent: count,
  bytes_sent: count,
  packets_received: count,
  bytes_received: count,
  conversations: count,
  first_seen: z.string(),
  last_seen: z.string(),
}

/**
 * Per local program (nethogs' view): sent = from the program's own endpoint. "unknown" (pid
 * null) holds conversations no process was found for, counted from endpoint A.
 */
export const ProcessHistoryRow = z.object({
  ...bucket,
  process: z.string(),
  pid: z.number().int().nullable(),
  ...sided,
})
export type ProcessHistoryRow = z.infer<typeof ProcessHistoryRow>

/** Per endpoint country (ISO code, special range label, or "unknown"), as HostHistoryRow. */
export const CountryHistoryRow = z.object({ ...bucket, country: z.string(), ...sided })
export type CountryHistoryRow = z.infer<typeof CountryHistoryRow>

/** Per endpoint network: AS number and organisation (a special range: asn null, its label). */
export const AsnHistoryRow = z.object({
  ...bucket,
  asn: count.nullable(),
  as_org: z.string(),
  ...sided,
})
export type AsnHistoryRow = z.infer<typeof AsnHistoryRow>

/** Per service (protocol and the server's registered port); the rest as "unknown" per protocol. */
export const ServiceHistoryRow = z.object({
  ...bucket,
  service: z.string(),
  protocol: z.string(),
  port: z.number().int().nullable(),
  packets: count,
  bytes: count,
  conversations: count,
  first_seen: z.string(),
  last_seen: z.string(),
})
export type ServiceHistoryRow = z.infer<typeof ServiceHistoryRow>

// The more specific shapes first: zod keeps the first member that matches (and strips the
// rest of the keys), and a service row would also pass as a protocol row.
export const HistoryRow = z.union([
  ConversationHistoryRow,
  ServiceHistoryRow,
  ProcessHistoryRow,
  AsnHistoryRow,
  CountryHistoryRow,
  InterfaceHistoryRow,
  HostHistoryRow,
  ProtocolHistoryRow,
])
export type HistoryRow = z.infer<typeof HistoryRow>

export const HistoryResult = z.object({
  meta: HistoryQueryMeta,
  /** At most HISTORY_MAX_ROWS over the contract. */
  rows: z.array(HistoryRow),
  /** More rows matched than the caller's limit (use top, a coarser bucket, or an export). */
  truncated: z.boolean(),
})
export type HistoryResult = z.infer<typeof HistoryResult>

/**
 * Why the store stopped writing. Sent as data (an event) so the engine keeps running in memory
 * and the UI can say what to do.
 */
export const StoreFailureCode = z.enum([
  'DISK_FULL',
  'READ_ONLY',
  'IO_ERROR',
  'CORRUPT',
  'BUSY',
  'INTERNAL',
])
export type StoreFailureCode = z.infer<typeof StoreFailureCode>

export const StoreFailure = z.object({
  code: StoreFailureCode,
  message: z.string(),
  /** Rows that were pending when the writer stopped, and rows offered since (not written). */
  dropped_rows: count,
})
export type StoreFailure = z.infer<typeof StoreFailure>

/** Probe results over a range, per probe (kind + target), optionally bucketed. */
export const ProbeHistoryQuery = z
  .object({
    from_s: z.number().int().nonnegative(),
    to_s: z.number().int().nonnegative(),
    bucket: HistoryStep.nullable().default(null),
    kind: z.string().nullable().default(null),
    target: z.string().nullable().default(null),
  })
  .refine((q) => q.from_s < q.to_s, { message: 'from must be before to' })
export type ProbeHistoryQuery = z.infer<typeof ProbeHistoryQuery>

const ms = z.number().nonnegative().nullable()

/**
 * Most rows one 'history.query' or 'history.probes' result carries; beyond it the result says
 * `truncated` (narrow the range, use top N or a coarser bucket, or export: exports stream).
 */
export const HISTORY_MAX_ROWS = 20_000

/** Aggregates are exact over any range: null where nothing was received. */
export const ProbeHistoryRow = z.object({
  bucket_start: z.string().nullable(),
  kind: z.string(),
  target: z.string(),
  sent: count,
  received: count,
  /** 100 * (1 - received / sent); null when nothing was sent. */
  loss_pct: z.number().nullable(),
  rtt_avg_ms: ms,
  rtt_min_ms: ms,
  rtt_max_ms: ms,
  /** Population standard deviation of the RTTs. */
  rtt_stddev_ms: ms,
  /** mtr's jitter: mean |RTT(n) - RTT(n-1)|. */
  jitter_ms: ms,
})
export type ProbeHistoryRow = z.infer<typeof ProbeHistoryRow>

export const ProbeHistoryResult = z.object({
  meta: HistoryQueryMeta,
  rows: z.array(ProbeHistoryRow).max(HISTORY_MAX_ROWS),
  /** More rows matched than HISTORY_MAX_ROWS. */
  truncated: z.boolean(),
})
export type ProbeHistoryResult = z.infer<typeof ProbeHistoryResult>

export const AlertHistoryQuery = z
  .object({
    from_s: z.number().int().nonnegative(),
    to_s: z.number().int().nonnegative(),
    limit: z.number().int().positive().max(100_000).default(1000),
  })
  .refine((q) => q.from_s < q.to_s, { message: 'from must be before to' })
export type AlertHistoryQuery = z.infer<typeof AlertHistoryQuery>

export const AlertHistoryRow = z.object({
  time: z.string(),
  rule: z.string(),
  severity: z.string(),
  message: z.string(),
  value: z.number().nullable(),
})
export type AlertHistoryRow = z.infer<typeof AlertHistoryRow>

/** Seconds a tier is kept; null keeps it forever. */
const keptFor = z.number().int().positive().nullable()
export const TierRetention = z
  .object({ '10s': keptFor, '1m': keptFor, '1h': keptFor, '1d': keptFor })
  .strict()
export type TierRetention = z.infer<typeof TierRetention>

/**
 * How long each kind of history is kept per tier. Hosts are kept as per-host series built from
 * the conversations, with a retention of their own (e.g. host totals longer than the
 * conversations); protocols follow `conversations`. A conversation whose rows have all aged
 * out is deleted with them.
 */
export const HistoryRetention = z
  .object({
    interfaces: TierRetention,
    conversations: TierRetention,
    hosts: TierRetention,
    probes: TierRetention,
  })
  .strict()
export type HistoryRetention = z.infer<typeof HistoryRetention>

/** A change of retention: any kinds, any of their tiers. */
export const HistoryRetentionChange = z
  .object({
    interfaces: TierRetention.partial().optional(),
    conversations: TierRetention.partial().optional(),
    hosts: TierRetention.partial().optional(),
    probes: TierRetention.partial().optional(),
  })
  .strict()
export type HistoryRetentionChange = z.infer<typeof HistoryRetentionChange>
