/**
 * Report rows by conversation, host and protocol, built from the flow table's records. The same
 * rows feed every format (csv, json, table), and later the history `report` command.
 *
 * Columns (csv header = json keys):
 * - conversation: protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,
 *   packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms
 * - host: address,packets_sent,bytes_sent,packets_received,bytes_received,conversations,
 *   first_seen,last_seen (sent = as the source of packets in its conversations)
 * - protocol: protocol,packets,bytes,conversations (packets/bytes of every frame, by the
 *   protocol it carried; non-IP frames as arp, lldp, ..., undecodable ones as malformed)
 */
import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { isoMicros } from './time'

export type ReportBy = 'conversation' | 'host' | 'protocol'
export const REPORT_BY: readonly ReportBy[] = ['conversation', 'host', 'protocol']

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

interface HostAcc {
  packets_sent: number
  bytes_sent: number
  packets_received: number
  bytes_received: number
  conversations: number
  first_us: number
  last_us: number
}

/** Per address: what it sent and received across its conversations; busiest first. */
export function hostRows(records: readonly ConversationRecord[]): HostRow[] {
  const hosts = new Map<string, HostAcc>()
  const acc = (address: string, r: ConversationRecord): HostAcc => {
    let h = hosts.get(address)
    if (!h) {
      h = {
        packets_sent: 0,
        bytes_sent: 0,
        packets_received: 0,
        bytes_received: 0,
        conversations: 0,
        first_us: r.first_seen_us,
        last_us: r.last_seen_us,
      }
      hosts.set(address, h)
    }
    h.conversations++
    h.first_us = Math.min(h.first_us, r.first_seen_us)
    h.last_us = Math.max(h.last_us, r.last_seen_us)
    return h
  }
  for (const r of records) {
    const a = acc(r.address_a, r)
    a.packets_sent += r.packets_a_to_b
    a.bytes_sent += r.bytes_a_to_b
    a.packets_received += r.packets_b_to_a
    a.bytes_received += r.bytes_b_to_a
    if (r.address_b === r.address_a) {
      // Traffic to itself (loopback): one host, one conversation, both directions already counted.
      a.packets_sent += r.packets_b_to_a
      a.bytes_sent += r.bytes_b_to_a
      a.packets_received += r.packets_a_to_b
      a.bytes_received += r.bytes_a_to_b
      continue
    }
    const b = acc(r.address_b, r)
    b.packets_sent += r.packets_b_to_a
    b.bytes_sent += r.bytes_b_to_a
    b.packets_received += r.packets_a_to_b
    b.bytes_received += r.bytes_a_to_b
  }
  return [...hosts.entries()]
    .map(([address, h]) => ({
      address,
      packets_sent: h.packets_sent,
      bytes_sent: h.bytes_sent,
      packets_received: h.packets_received,
      bytes_received: h.bytes_received,
      conversations: h.conversations,
      first_seen: isoMicros(h.first_us),
      last_seen: isoMicros(h.last_us),
    }))
    .sort(
      (x, y) =>
        y.bytes_sent + y.bytes_received - (x.bytes_sent + x.bytes_received) ||
        x.address.localeCompare(y.address),
    )
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
