/**
 * DTOs produced by the capture core (electron/shared/flows) that cross the capture worker's
 * process boundary once per tick. Pure TypeScript + zod: no Node, DOM or electron imports.
 *
 * Units: bytes are frame lengths on the wire (pcap orig_len, as tshark counts them); rates are
 * bytes per second; timestamps are microseconds since the Unix epoch (UTC) taken from the
 * capture, so a replayed file and a live capture give the same numbers.
 */
import { z } from 'zod'

const count = z.number().int().nonnegative()
const rate = z.number().nonnegative()

/**
 * iftop's three averaging windows: mean bytes per second over the last 2, 10 and 40 complete
 * seconds of capture time (fewer while the capture is younger than the window, as iftop does).
 */
export const RateWindows = z.object({ s2: rate, s10: rate, s40: rate })
export type RateWindows = z.infer<typeof RateWindows>

/**
 * `tcp`, `udp`, `icmp`, `icmpv6`, or the IP protocol number as a decimal string ("47", "132").
 */
export const ConversationProtocol = z.union([
  z.enum(['tcp', 'udp', 'icmp', 'icmpv6']),
  z.string().regex(/^\d{1,3}$/),
])
export type ConversationProtocol = z.infer<typeof ConversationProtocol>

/**
 * One bidirectional conversation: protocol + two endpoints (unordered). Endpoint A is the source
 * of the first packet the capture saw in it. Ports are null for protocols without ports (ICMP,
 * ICMPv6, other IP protocols) and for IPv4/IPv6 non-first fragments that could not be mapped to
 * their datagram's first fragment.
 */
export const ConversationRecord = z.object({
  protocol: ConversationProtocol,
  address_a: z.string(),
  port_a: z.number().int().min(0).max(65535).nullable(),
  address_b: z.string(),
  port_b: z.number().int().min(0).max(65535).nullable(),
  packets_a_to_b: count,
  bytes_a_to_b: count,
  packets_b_to_a: count,
  bytes_b_to_a: count,
  first_seen_us: count,
  last_seen_us: count,
  /**
   * TCP segments carrying sequence space already seen in their direction, as Wireshark's
   * tcp.analysis.retransmission (retransmission, fast and spurious retransmission); 0 for non-TCP.
   */
  retransmissions: count,
  /**
   * TCP segments Wireshark would call out-of-order (arrived below the next expected sequence
   * within one RTT of the newest segment); not included in retransmissions. Always set by the
   * Aggregator; optional so records built elsewhere stay valid.
   */
  out_of_order: count.optional(),
  /** Capture-side time from the first SYN to the SYN/ACK, in milliseconds; null when not seen. */
  handshake_rtt_ms: z.number().nonnegative().nullable(),
  rate_a_to_b_bps: RateWindows,
  rate_b_to_a_bps: RateWindows,
  /**
   * iftop's peak per direction: the highest 2 s average in the last 40 s (iftop recomputes its
   * peak over its 40 s history), bytes per second; always >= s2.
   */
  peak_a_to_b_bps: rate,
  peak_b_to_a_bps: rate,
  /**
   * Highest 2 s average since the conversation began (any 2 complete seconds), >= peak.
   * Always set by the Aggregator; optional so records built elsewhere stay valid.
   */
  peak_ever_a_to_b_bps: rate.optional(),
  peak_ever_b_to_a_bps: rate.optional(),
  // "Who is talking" (electron/shared/attribution), set when the capture asks for it; null:
  // looked for, not known. Absent on records built without attribution.
  /** The local program owning the conversation's socket (/proc/PID/comm); null: unknown. */
  process: z.string().nullable().optional(),
  pid: z.number().int().positive().nullable().optional(),
  /** Which endpoint is the owner's socket. */
  process_side: z.enum(['a', 'b']).nullable().optional(),
  /** IANA service name of the server's port ("https"); null when neither port has one. */
  service: z.string().nullable().optional(),
  /** Reverse DNS names; null until known, or when there is none (or resolving is off). */
  name_a: z.string().nullable().optional(),
  name_b: z.string().nullable().optional(),
  /** Special-purpose range ("private", "loopback", ...); such addresses get no country or AS. */
  range_a: z.string().nullable().optional(),
  range_b: z.string().nullable().optional(),
  /** ISO 3166-1 alpha-2 country (DB-IP). */
  country_a: z.string().nullable().optional(),
  country_b: z.string().nullable().optional(),
  /** Autonomous system number and organisation. */
  asn_a: count.nullable().optional(),
  asn_b: count.nullable().optional(),
  as_org_a: z.string().nullable().optional(),
  as_org_b: z.string().nullable().optional(),
})
export type ConversationRecord = z.infer<typeof ConversationRecord>

export const PacketBytes = z.object({ packets: count, bytes: count })
export type PacketBytes = z.infer<typeof PacketBytes>

/**
 * Aggregated state of one capture at one moment (one worker tick, or the end of a file).
 * Invariants: `packets` = frames fed (including malformed ones) = sum of by_protocol packets;
 * likewise for bytes.
 */
export const CaptureSnapshot = z.object({
  /** Capture time of this snapshot (latest packet or advance() time), µs since the epoch. */
  time_us: count,
  /** Capture time of the first frame or advance(), µs since the epoch; null before either. */
  start_us: count.nullable(),
  /** pcap LINKTYPE_ number of the source and its name ("EN10MB", "LINUX_SLL2", ...). */
  link_type: count,
  link_type_name: z.string(),
  packets: count,
  bytes: count,
  /**
   * Per protocol: `tcp`, `udp`, `icmp`, `icmpv6`, an IP protocol number ("47"), or a non-IP
   * label (`arp`, `lldp`, `stp`, `llc`, `ppp`, `other`), plus `malformed` for frames that could
   * not be decoded.
   */
  by_protocol: z.record(z.string(), PacketBytes),
  /** Total rate over the capture (rx/tx cannot be told apart from a capture). */
  rates_bps: RateWindows,
  /** iftop's peak of the total: highest 2 s average in the last 40 s, bytes per second. */
  peak_bps: rate,
  /** Highest total 2 s average since the capture began (always set by the Aggregator). */
  peak_ever_bps: rate.optional(),
  /** Malformed frames per reason (`truncated_ip`, `bad_ip_header_length`, ...). */
  malformed: z.record(z.string(), count),
  malformed_total: count,
  flows_active: count,
  /** Flows pushed out of a full table (least recently seen first). */
  flows_evicted: count,
  /** Flows removed after the idle timeout. */
  flows_expired: count,
  /** Top conversations by 10 s rate (both directions), then by total bytes. */
  conversations: z.array(ConversationRecord),
  /**
   * TCP retransmissions in every conversation of this capture so far (ended and evicted ones
   * too), counted as `retransmissions` is per conversation. Absent from older engines.
   */
  retransmissions_total: count.optional(),
  /**
   * The busiest hosts and conversations by 2 s rate (both directions) over the whole flow
   * table, for alert rules: a host's rate sums every conversation it is in, not only the top
   * list's. Sent by the capture worker with each tick; only series with traffic in the window.
   */
  busiest: z
    .object({
      hosts: z.array(z.object({ address: z.string(), bps: rate })),
      conversations: z.array(
        z.object({
          protocol: ConversationProtocol,
          address_a: z.string(),
          port_a: z.number().int().nullable(),
          address_b: z.string(),
          port_b: z.number().int().nullable(),
          bps: rate,
        }),
      ),
    })
    .optional(),
})
export type CaptureSnapshot = z.infer<typeof CaptureSnapshot>
export type BusiestSeries = NonNullable<CaptureSnapshot['busiest']>

/**
 * The Connections page's view of the whole flow table, applied in the capture worker (so a
 * search finds every conversation, not only the busiest): sort, filter, aggregation and the
 * window of rows the page shows. The engine sends back only that window plus totals.
 */
export const VIEW_SORT_KEYS = [
  'protocol',
  'a',
  'b',
  'ab2',
  'ab10',
  'ab40',
  'ba2',
  'ba10',
  'ba40',
  'rate2',
  'rate10',
  'rate40',
  'peak',
  'total',
  'retx',
  'rtt',
  'flows',
  'first',
  'last',
  'process',
  'service',
  'country',
  'asn',
] as const
export const ViewSortKey = z.enum(VIEW_SORT_KEYS)
export type ViewSortKey = z.infer<typeof ViewSortKey>

/** conversation: one row per flow; host: every address (both ends); source/destination: A/B ends. */
export const ViewGroup = z.enum([
  'conversation',
  'host',
  'source',
  'destination',
  'process',
  'service',
])
export type ViewGroup = z.infer<typeof ViewGroup>

/** Rows a view may ask for at once (the page's visible window plus some overscan). */
export const MAX_VIEW_ROWS = 200
/** Row keys a paused page may pin (their order is kept while it reads). */
export const MAX_PINNED_ROWS = 200

export const ConnectionsView = z
  .object({
    sort: ViewSortKey,
    descending: z.boolean(),
    /** Whitespace-separated words, each must match (address, port, protocol, process, ...). */
    filter: z.string().max(256),
    group: ViewGroup,
    /** Off: conversations between the same hosts are one row (iftop's `p`). */
    ports: z.boolean(),
    offset: z.number().int().min(0).max(10_000_000),
    limit: z.number().int().min(0).max(MAX_VIEW_ROWS),
    /** Paused: these rows in this order (values still update), instead of sort + window. */
    pinned: z.array(z.string().max(512)).max(MAX_PINNED_ROWS).nullable(),
    /** The row whose detail panel is open: sent every tick wherever it is. */
    selected: z.string().max(512).nullable(),
  })
  .strict()
export type ConnectionsView = z.infer<typeof ConnectionsView>

export const DEFAULT_VIEW: ConnectionsView = {
  sort: 'rate10',
  descending: true,
  filter: '',
  group: 'conversation',
  ports: true,
  offset: 0,
  limit: 40,
  pinned: null,
  selected: null,
}

const nullableText = z.string().nullable().optional()

/**
 * One row of the view: a conversation, or a group of them (host, process...). `a` and `b` are
 * what the row is about (endpoints; a host with b null; a process name...). Directions: a to b
 * for conversations; for a group, out of it (a_to_b) and into it (b_to_a).
 */
export const ViewRow = z.object({
  key: z.string(),
  flows: count,
  protocol: z.string().nullable(),
  a: z.string(),
  port_a: z.number().int().min(0).max(65535).nullable(),
  b: z.string().nullable(),
  port_b: z.number().int().min(0).max(65535).nullable(),
  packets_a_to_b: count,
  bytes_a_to_b: count,
  packets_b_to_a: count,
  bytes_b_to_a: count,
  rate_a_to_b_bps: RateWindows,
  rate_b_to_a_bps: RateWindows,
  /** iftop's peak, both directions summed (highest 2 s average in the last 40 s). */
  peak_bps: rate,
  retransmissions: count,
  handshake_rtt_ms: z.number().nonnegative().nullable(),
  first_seen_us: count,
  last_seen_us: count,
  // Attribution when the capture has it (a group: its members' common value, else null).
  process: nullableText,
  pid: z.number().int().positive().nullable().optional(),
  service: nullableText,
  name_a: nullableText,
  name_b: nullableText,
  country_a: nullableText,
  country_b: nullableText,
  asn_a: count.nullable().optional(),
  asn_b: count.nullable().optional(),
  as_org_a: nullableText,
  as_org_b: nullableText,
})
export type ViewRow = z.infer<typeof ViewRow>

export const ViewResult = z.object({
  /** Conversations in the flow table. */
  flows: count,
  /** Rows after filter and aggregation (the "of N" in "rows 1-40 of N"). */
  matched: count,
  offset: count,
  rows: z.array(ViewRow),
  /** The selected row (detail panel), or null when it is gone or none is selected. */
  selected: ViewRow.nullable(),
  /** Pinned rows no longer in the table. */
  pinned_gone: z.array(z.string()).optional(),
})
export type ViewResult = z.infer<typeof ViewResult>
