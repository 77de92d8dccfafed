/** Columns of the connections table: what each shows, its sort key in the engine's view. */
import type { ViewGroup, ViewRow, ViewSortKey } from '../../../../common/capture'

export interface Column {
  key: ViewSortKey
  label: string
  title: string
  numeric: boolean
  kind: 'text' | 'rate' | 'amount' | 'count' | 'rtt'
  value: (r: ViewRow) => number | string
  /** Shown only in these aggregations (default: all). */
  groups?: ViewGroup[]
}

export const endpoint = (address: string, port: number | null): string =>
  port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`

/** A row's end as shown: host name when known, else the address (ports when shown). */
export function end(r: ViewRow, side: 'a' | 'b'): string {
  const address = side === 'a' ? r.a : r.b
  if (address === null) return ''
  const port = side === 'a' ? r.port_a : r.port_b
  const name = side === 'a' ? r.name_a : r.name_b
  return endpoint(name ?? address, port)
}

const geo = (country?: string | null, asn?: number | null) =>
  [country, asn != null ? `AS${asn}` : null].filter(Boolean).join(' ')

const rate = (
  key: ViewSortKey,
  label: string,
  title: string,
  value: (r: ViewRow) => number,
): Column => ({ key, label, title, numeric: true, kind: 'rate', value })

const HOSTS: ViewGroup[] = ['conversation', 'host', 'source', 'destination']

export const COLUMNS: Column[] = [
  {
    key: 'protocol',
    label: 'Proto',
    title: 'protocol',
    numeric: false,
    kind: 'text',
    value: (r) => r.protocol ?? '*',
  },
  {
    key: 'a',
    label: 'Endpoint A',
    title: 'source of the first packet seen (or the group: host, process, service)',
    numeric: false,
    kind: 'text',
    value: (r) => end(r, 'a'),
  },
  {
    key: 'b',
    label: 'Endpoint B',
    title: 'the other end',
    numeric: false,
    kind: 'text',
    value: (r) => end(r, 'b'),
    groups: ['conversation'],
  },
  rate(
    'ab2',
    '→ 2s',
    'A to B (group: out), average over the last 2 s',
    (r) => r.rate_a_to_b_bps.s2,
  ),
  rate('ab10', '→ 10s', 'A to B (group: out), last 10 s', (r) => r.rate_a_to_b_bps.s10),
  rate('ab40', '→ 40s', 'A to B (group: out), last 40 s', (r) => r.rate_a_to_b_bps.s40),
  rate('ba2', '← 2s', 'B to A (group: in), average over the last 2 s', (r) => r.rate_b_to_a_bps.s2),
  rate('ba10', '← 10s', 'B to A (group: in), last 10 s', (r) => r.rate_b_to_a_bps.s10),
  rate('ba40', '← 40s', 'B to A (group: in), last 40 s', (r) => r.rate_b_to_a_bps.s40),
  rate('peak', 'Peak', 'highest 2 s average in the last 40 s, both directions', (r) => r.peak_bps),
  {
    key: 'total',
    label: 'Total',
    title: 'bytes both ways since first seen',
    numeric: true,
    kind: 'amount',
    value: (r) => r.bytes_a_to_b + r.bytes_b_to_a,
  },
  {
    key: 'flows',
    label: 'Flows',
    title: 'conversations in the row',
    numeric: true,
    kind: 'count',
    value: (r) => r.flows,
  },
  {
    key: 'retx',
    label: 'Retx',
    title: 'TCP retransmissions',
    numeric: true,
    kind: 'count',
    value: (r) => r.retransmissions,
  },
  {
    key: 'rtt',
    label: 'RTT',
    title: 'TCP handshake round trip seen by the capture (ms)',
    numeric: true,
    kind: 'rtt',
    value: (r) => r.handshake_rtt_ms ?? -1,
  },
  {
    key: 'process',
    label: 'Process',
    title: 'local program owning the socket (pid)',
    numeric: false,
    kind: 'text',
    value: (r) => (r.process ? `${r.process}${r.pid ? ` (${r.pid})` : ''}` : ''),
    groups: ['conversation', 'process'],
  },
  {
    key: 'service',
    label: 'Service',
    title: 'IANA service of the server port',
    numeric: false,
    kind: 'text',
    value: (r) => r.service ?? '',
    groups: ['conversation', 'service'],
  },
  {
    key: 'country',
    label: 'Country',
    title: 'country of each end (DB-IP)',
    numeric: false,
    kind: 'text',
    value: (r) =>
      r.b === null || (!r.country_a && !r.country_b)
        ? (r.country_a ?? '')
        : [r.country_a ?? '–', r.country_b ?? '–'].join(' → '),
    groups: HOSTS,
  },
  {
    key: 'asn',
    label: 'Network',
    title: 'autonomous system of the far end (or the host)',
    numeric: false,
    kind: 'text',
    value: (r) => (r.b === null ? geo(null, r.asn_a) : geo(null, r.asn_b ?? r.asn_a)),
    groups: HOSTS,
  },
]

export const columnsFor = (g: ViewGroup): Column[] =>
  COLUMNS.filter((c) => !c.groups || c.groups.includes(g))

/**
 * iftop's bar: log scale from 10 B/s to 1.25 GB/s (10 Gbit/s), the row's total 10 s rate
 * as a fraction of the row width.
 */
export function barFraction(bytesPerSecond: number): number {
  if (bytesPerSecond <= 10) return 0
  return Math.min(1, Math.log10(bytesPerSecond / 10) / Math.log10(1.25e9 / 10))
}
