/**
 * Report rows by conversation, host and protocol, built from the flow table's records. The same
 * rows feed every format (csv, json, table), and later the history `report` command.
 *
 * Columns (csv header = json keys):
 * - conversation: protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,
 *   packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms, then who
 *   is talking: process,pid,service,name_a,name_b,country_a,country_b,asn_a,asn_b (process and
 *   pid empty for files; names empty without --resolve; country is the ISO code, or the special
 *   range's label such as "private" or "loopback")
 * - process: process,pid,packets_sent,bytes_sent,packets_received,bytes_received,conversations,
 *   first_seen,last_seen (sent = by the process; "unknown" collects what matched no process)
 * - service: service,protocol,port,packets,bytes,conversations,first_seen,last_seen
 * - country, asn: like host, per country (country) or per network (asn,as_org)
 * - host: address,packets_sent,bytes_sent,packets_received,bytes_received,conversations,
 *   first_seen,last_seen (sent = as the source of packets in its conversations)
 * - protocol: protocol,packets,bytes,conversations (packets/bytes of every frame, by the
 *   protocol it carried; non-IP frames as arp, lldp, ..., undecodable ones as malformed)
 */
import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { conversationService } from '../attribution/service'
import { isoMicros } from './time'

export type ReportBy =
  'conversation' | 'host' | 'protocol' | 'process' | 'service' | 'country' | 'asn'
export const REPORT_BY: readonly ReportBy[] = [
  'conversation',
  'host',
  'protocol',
  'process',
  'service',
  'country',
  'asn',
]

export type Cell = string | number | null

export interface ConversationRow {
  protocol: string
  address_a: string
  port_a: number | null
  address_b: string
  port_b: number | null
  packets_a_to_b: number
  bytes_a_to_b: number
  packets_b_to_a: number
  bytes_b_to_a: number
  first_seen: string
  last_seen: string
  retransmissions: number
  handshake_rtt_ms: number | null
  process: string | null
  pid: number | null
  service: string | null
  name_a: string | null
  name_b: string | null
  country_a: string | null
  country_b: string | null
  asn_a: number | null
  asn_b: number | null
}

export interface HostRow {
  address: string
  packets_sent: number
  bytes_sent: number
  packets_received: number
  bytes_received: number
  conversations: number
  first_seen: string
  last_seen: string
}

export interface ProtocolRow {
  protocol: string
  packets: number
  bytes: number
  conversations: number
}

export const CONVERSATION_COLUMNS = [
  'protocol',
  'address_a',
  'port_a',
  'address_b',
  'port_b',
  'packets_a_to_b',
  'bytes_a_to_b',
  'packets_b_to_a',
  'bytes_b_to_a',
  'first_seen',
  'last_seen',
  'retransmissions',
  'handshake_rtt_ms',
] as const satisfies readonly (keyof ConversationRow)[]

/** Who is talking, appended after the 13 traffic columns (history keeps the 13 for now). */
export const ATTRIBUTION_COLUMNS = [
  'process',
  'pid',
  'service',
  'name_a',
  'name_b',
  'country_a',
  'country_b',
  'asn_a',
  'asn_b',
] as const satisfies readonly (keyof ConversationRow)[]

/** The capture and analyze report's conversation columns. */
export const CONVERSATION_REPORT_COLUMNS = [...CONVERSATION_COLUMNS, ...ATTRIBUTION_COLUMNS]

export const HOST_COLUMNS = [
  'address',
  'packets_sent',
  'bytes_sent',
  'packets_received',
  'bytes_received',
  'conversations',
  'first_seen',
  'last_seen',
] as const satisfies readonly (keyof HostRow)[]

export const PROTOCOL_COLUMNS = [
  'protocol',
  'packets',
  'bytes',
  'conversations',
] as const satisfies readonly (keyof ProtocolRow)[]

/** Milliseconds kept to the microsecond, so float noise never reaches a report. */
const roundMs = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000) / 1000)

export function conversationRow(r: ConversationRecord): ConversationRow {
  return {
    protocol: r.protocol,
    address_a: r.address_a,
    port_a: r.port_a,
    address_b: r.address_b,
    port_b: r.port_b,
    packets_a_to_b: r.packets_a_to_b,
    bytes_a_to_b: r.bytes_a_to_b,
    packets_b_to_a: r.packets_b_to_a,
    bytes_b_to_a: r.bytes_b_to_a,
    first_seen: isoMicros(r.first_seen_us),
    last_seen: isoMicros(r.last_seen_us),
    retransmissions: r.retransmissions,
    handshake_rtt_ms: roundMs(r.handshake_rtt_ms),
    process: r.process ?? null,
    pid: r.pid ?? null,
    service: r.service ?? null,
    name_a: r.name_a ?? null,
    name_b: r.name_b ?? null,
    country_a: r.range_a ?? r.country_a ?? null,
    country_b: r.range_b ?? r.country_b ?? null,
    asn_a: r.asn_a ?? null,
    asn_b: r.asn_b ?? null,
  }
}

/** Conversations oldest first (ties: protocol, then endpoints), as a stable, diffable order. */
export function conversationRows(records: readonly ConversationRecord[]): ConversationRow[] {
  const sorted = [...records].sort(
    (x, y) =>
      x.first_seen_us - y.first_seen_us ||
      x.protocol.localeCompare(y.protocol) ||
      x.address_a.localeCompare(y.address_a) ||
      (x.port_a ?? -1) - (y.port_a ?? -1) ||
      x.address_b.localeCompare(y.address_b) ||
      (x.port_b ?? -1) - (y.port_b ?? -1),
  )
  return sorted.map(conversationRow)
}

/** Per address: what it sent and received across its conversations; busiest first. */
export function hostRows(records: readonly ConversationRecord[]): HostRow[] {
  return groupSides<string>(
    records,
    (r) => [r.address_a, r.address_b],
    (address) => address,
  ).map((g) => ({ address: g.key, ...sided(g) }))
}

/** Per protocol: every frame's packets and bytes (from the capture totals), largest first. */
export function protocolRows(
  snapshot: CaptureSnapshot,
  records: readonly ConversationRecord[],
): ProtocolRow[] {
  const conversations = new Map<string, number>()
  for (const r of records) conversations.set(r.protocol, (conversations.get(r.protocol) ?? 0) + 1)
  return Object.entries(snapshot.by_protocol)
    .map(([protocol, pb]) => ({
      protocol,
      packets: pb.packets,
      bytes: pb.bytes,
      conversations: conversations.get(protocol) ?? 0,
    }))
    .sort((x, y) => y.bytes - x.bytes || x.protocol.localeCompare(y.protocol))
}

// --- who is talking ----------------------------------------------------------------------------

export const UNKNOWN = 'unknown'

export interface SidedRow {
  packets_sent: number
  bytes_sent: number
  packets_received: number
  bytes_received: number
  conversations: number
  first_seen: string
  last_seen: string
}

export interface ProcessRow extends SidedRow {
  process: string
  pid: number | null
}

export interface CountryRow extends SidedRow {
  country: string
}

export interface AsnRow extends SidedRow {
  asn: number | null
  as_org: string
}

export interface ServiceRow {
  service: string
  protocol: string
  port: number | null
  packets: number
  bytes: number
  conversations: number
  first_seen: string
  last_seen: string
}

const SIDED = [
  'packets_sent',
  'bytes_sent',
  'packets_received',
  'bytes_received',
  'conversations',
  'first_seen',
  'last_seen',
] as const

export const PROCESS_COLUMNS = ['process', 'pid', ...SIDED] as const
export const COUNTRY_COLUMNS = ['country', ...SIDED] as const
export const ASN_COLUMNS = ['asn', 'as_org', ...SIDED] as const
export const SERVICE_COLUMNS = [
  'service',
  'protocol',
  'port',
  'packets',
  'bytes',
  'conversations',
  'first_seen',
  'last_seen',
] as const satisfies readonly (keyof ServiceRow)[]

interface Acc<K> {
  key: K
  packets_sent: number
  bytes_sent: number
  packets_received: number
  bytes_received: number
  conversations: number
  first_us: number
  last_us: number
}

/**
 * Groups the endpoints of conversations: each side's key gets what that side sent and received.
 * A conversation whose two sides share a key counts once, with both directions as sent and
 * received (as hostRows does for traffic to itself). A null key leaves that side out (a
 * process owns one endpoint of a conversation, not both).
 */
function groupSides<K>(
  records: readonly ConversationRecord[],
  keys: (r: ConversationRecord) => [K | null, K | null],
  id: (k: K) => string,
): Acc<K>[] {
  const groups = new Map<string, Acc<K>>()
  const acc = (key: K, r: ConversationRecord): Acc<K> => {
    const k = id(key)
    let g = groups.get(k)
    if (!g) {
      g = {
        key,
        packets_sent: 0,
        bytes_sent: 0,
        packets_received: 0,
        bytes_received: 0,
        conversations: 0,
        first_us: r.first_seen_us,
        last_us: r.last_seen_us,
      }
      groups.set(k, g)
    }
    g.conversations++
    g.first_us = Math.min(g.first_us, r.first_seen_us)
    g.last_us = Math.max(g.last_us, r.last_seen_us)
    return g
  }
  for (const r of records) {
    const [ka, kb] = keys(r)
    const same = ka !== null && kb !== null && id(ka) === id(kb)
    if (ka !== null) {
      const a = acc(ka, r)
      a.packets_sent += r.packets_a_to_b
      a.bytes_sent += r.bytes_a_to_b
      a.packets_received += r.packets_b_to_a
      a.bytes_received += r.bytes_b_to_a
      if (same) {
        a.packets_sent += r.packets_b_to_a
        a.bytes_sent += r.bytes_b_to_a
        a.packets_received += r.packets_a_to_b
        a.bytes_received += r.bytes_a_to_b
        continue
      }
    }
    if (kb !== null) {
      const b = acc(kb, r)
      b.packets_sent += r.packets_b_to_a
      b.bytes_sent += r.bytes_b_to_a
      b.packets_received += r.packets_a_to_b
      b.bytes_received += r.bytes_a_to_b
    }
  }
  return [...groups.values()].sort(
    (x, y) =>
      y.bytes_sent + y.bytes_received - (x.bytes_sent + x.bytes_received) ||
      id(x.key).localeCompare(id(y.key)),
  )
}

const sided = <K>(g: Acc<K>): SidedRow => ({
  packets_sent: g.packets_sent,
  bytes_sent: g.bytes_sent,
  packets_received: g.packets_received,
  bytes_received: g.bytes_received,
  conversations: g.conversations,
  first_seen: isoMicros(g.first_us),
  last_seen: isoMicros(g.last_us),
})

/**
 * Per local process, as nethogs shows it: sent = from the process's own endpoint. A conversation
 * no process could be found for goes to the "unknown" bucket, counted from endpoint A.
 */
export function processRows(records: readonly ConversationRecord[]): ProcessRow[] {
  type K = { process: string; pid: number | null }
  const unknown: K = { process: UNKNOWN, pid: null }
  return groupSides<K>(
    records,
    (r) => {
      if (!r.process || r.pid === null || r.pid === undefined) return [unknown, null]
      const k = { process: r.process, pid: r.pid }
      return r.process_side === 'b' ? [null, k] : [k, null]
    },
    (k) => `${k.process}\t${k.pid ?? ''}`,
  ).map((g) => ({ process: g.key.process, pid: g.key.pid, ...sided(g) }))
}

/** An endpoint's country: ISO code, special range label, or "unknown". */
const countryOf = (range?: string | null, country?: string | null) => range ?? country ?? UNKNOWN

export function countryRows(records: readonly ConversationRecord[]): CountryRow[] {
  return groupSides<string>(
    records,
    (r) => [countryOf(r.range_a, r.country_a), countryOf(r.range_b, r.country_b)],
    (k) => k,
  ).map((g) => ({ country: g.key, ...sided(g) }))
}

export function asnRows(records: readonly ConversationRecord[]): AsnRow[] {
  type K = { asn: number | null; as_org: string }
  const keyOf = (range?: string | null, asn?: number | null, org?: string | null): K =>
    range
      ? { asn: null, as_org: range }
      : asn === null || asn === undefined
        ? { asn: null, as_org: UNKNOWN }
        : { asn, as_org: org ?? '' }
  return groupSides<K>(
    records,
    (r) => [keyOf(r.range_a, r.asn_a, r.as_org_a), keyOf(r.range_b, r.asn_b, r.as_org_b)],
    (k) => `${k.asn ?? ''}\t${k.as_org}`,
  ).map((g) => ({ asn: g.key.asn, as_org: g.key.as_org, ...sided(g) }))
}

/** Per service (protocol and the server's registered port); the rest as "unknown" per protocol. */
export function serviceRows(records: readonly ConversationRecord[]): ServiceRow[] {
  const groups = new Map<string, ServiceRow & { first_us: number; last_us: number }>()
  for (const r of records) {
    const s = conversationService(r.protocol, r.port_a, r.port_b)
    const service = s?.name ?? UNKNOWN
    const port = s?.port ?? null
    const k = `${r.protocol}\t${port ?? ''}\t${service}`
    let g = groups.get(k)
    if (!g) {
      g = {
        service,
        protocol: r.protocol,
        port,
        packets: 0,
        bytes: 0,
        conversations: 0,
        first_seen: '',
        last_seen: '',
        first_us: r.first_seen_us,
        last_us: r.last_seen_us,
      }
      groups.set(k, g)
    }
    g.packets += r.packets_a_to_b + r.packets_b_to_a
    g.bytes += r.bytes_a_to_b + r.bytes_b_to_a
    g.conversations++
    g.first_us = Math.min(g.first_us, r.first_seen_us)
    g.last_us = Math.max(g.last_us, r.last_seen_us)
  }
  return [...groups.values()]
    .map(({ first_us, last_us, ...g }) => ({
      ...g,
      first_seen: isoMicros(first_us),
      last_seen: isoMicros(last_us),
    }))
    .sort(
      (x, y) =>
        y.bytes - x.bytes ||
        x.service.localeCompare(y.service) ||
        x.protocol.localeCompare(y.protocol),
    )
}
