/** Columns of the connections table: what each shows and how it sorts. */
import type { ConversationRecord } from '../../../../common/capture'

export interface Column {
  key: string
  label: string
  title: string
  numeric: boolean
  value: (c: ConversationRecord) => number | string
}

const endpoint = (address: string, port: number | null) =>
  port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`

export const endpointA = (c: ConversationRecord) => endpoint(c.address_a, c.port_a)
export const endpointB = (c: ConversationRecord) => endpoint(c.address_b, c.port_b)

const rate = (
  key: string,
  label: string,
  title: string,
  value: (c: ConversationRecord) => number,
): Column => ({
  key,
  label,
  title,
  numeric: true,
  value,
})

export const COLUMNS: Column[] = [
  { key: 'protocol', label: 'Proto', title: 'protocol', numeric: false, value: (c) => c.protocol },
  {
    key: 'a',
    label: 'Endpoint A',
    title: 'source of the first packet seen',
    numeric: false,
    value: endpointA,
  },
  { key: 'b', label: 'Endpoint B', title: 'the other end', numeric: false, value: endpointB },
  rate('ab2', '→ 2s', 'A to B, average over the last 2 s', (c) => c.rate_a_to_b_bps.s2),
  rate('ab10', '→ 10s', 'A to B, average over the last 10 s', (c) => c.rate_a_to_b_bps.s10),
  rate('ab40', '→ 40s', 'A to B, average over the last 40 s', (c) => c.rate_a_to_b_bps.s40),
  rate('ba2', '← 2s', 'B to A, average over the last 2 s', (c) => c.rate_b_to_a_bps.s2),
  rate('ba10', '← 10s', 'B to A, average over the last 10 s', (c) => c.rate_b_to_a_bps.s10),
  rate('ba40', '← 40s', 'B to A, average over the last 40 s', (c) => c.rate_b_to_a_bps.s40),
  rate(
    'peak',
    'Peak',
    'highest 2 s average, both directions',
    (c) => c.peak_a_to_b_bps + c.peak_b_to_a_bps,
  ),
  rate(
    'total',
    'Total',
    'bytes both ways since first seen',
    (c) => c.bytes_a_to_b + c.bytes_b_to_a,
  ),
  rate('retx', 'Retx', 'TCP retransmissions', (c) => c.retransmissions),
  rate(
    'rtt',
    'RTT',
    'TCP handshake round trip seen by the capture (ms)',
    (c) => c.handshake_rtt_ms ?? -1,
  ),
]

/** Case-insensitive match of every whitespace-separated word against protocol and endpoints. */
export function matches(c: ConversationRecord, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return true
  const hay = `${c.protocol} ${endpointA(c)} ${endpointB(c)}`.toLowerCase()
  return words.every((w) => hay.includes(w))
}
