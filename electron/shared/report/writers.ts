/**
 * Report writers, for capture reports and history reports/exports alike: csv (RFC 4180 via
 * csv-stringify, spreadsheet-formula cells neutralised), json (an array of objects with the csv
 * columns as keys) and table (aligned, human units). Rows stream with backpressure.
 */
import { stringify } from 'csv-stringify'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { formatAmount } from '../../../common/units'
import { terminalSafe } from './terminal'
import type {
  AsnRow,
  ConversationRow,
  CountryRow,
  HostRow,
  ProcessRow,
  ProtocolRow,
  ReportBy,
  ServiceRow,
  SidedRow,
} from './rows'
import {
  ASN_COLUMNS,
  CONVERSATION_REPORT_COLUMNS,
  COUNTRY_COLUMNS,
  HOST_COLUMNS,
  PROCESS_COLUMNS,
  PROTOCOL_COLUMNS,
  SERVICE_COLUMNS,
} from './rows'

export type ReportFormat = 'table' | 'csv' | 'json'
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'csv', 'json']

export interface Report {
  by: ReportBy
  rows:
    | ConversationRow[]
    | HostRow[]
    | ProtocolRow[]
    | ProcessRow[]
    | ServiceRow[]
    | CountryRow[]
    | AsnRow[]
}

const CHUNK_ROWS = 2000

const COLUMNS: Record<ReportBy, readonly string[]> = {
  conversation: CONVERSATION_REPORT_COLUMNS,
  host: HOST_COLUMNS,
  protocol: PROTOCOL_COLUMNS,
  process: PROCESS_COLUMNS,
  service: SERVICE_COLUMNS,
  country: COUNTRY_COLUMNS,
  asn: ASN_COLUMNS,
}

export function columnsFor(by: ReportBy): readonly string[] {
  return COLUMNS[by]
}

/** A text cell a spreadsheet would run as a formula gets a leading single quote (OWASP CSV injection). */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

async function put(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
}

/** Final pipeline stage: writes into `out` with backpressure, without ending it. */
function into(out: NodeJS.WritableStream) {
  return async function (chunks: AsyncIterable<string | Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      if (!out.write(chunk)) await once(out, 'drain')
    }
  }
}

/**
 * The one CSV writer (capture reports, history reports and exports): RFC 4180 via
 * csv-stringify, a header row of `columns`, formula-looking text neutralised. Rows are pulled
 * from `rows` only as fast as `out` drains, so an iterator over SQLite streams in constant
 * memory. `out` is not ended.
 */
export async function writeCsv(
  rows: Iterable<object> | AsyncIterable<object>,
  columns: readonly string[],
  out: NodeJS.WritableStream,
): Promise<void> {
  const stringifier = stringify({
    header: true,
    columns: columns.map((key) => ({ key })),
    cast: { string: neutraliseFormula },
  })
  // pipeline() carries an error from any stage (e.g. SQLite reading) to the caller.
  await pipeline(Readable.from(rows), stringifier, into(out))
}

/**
 * The one JSON writer: an array, one object per line; `out` is not ended. With `columns`,
 * each object has exactly those keys in that order (JSON keys = CSV header).
 */
export async function writeJson(
  rows: Iterable<object> | AsyncIterable<object>,
  out: NodeJS.WritableStream,
  columns?: readonly string[],
): Promise<void> {
  const project = (row: object): object =>
    columns
      ? Object.fromEntries(columns.map((c) => [c, (row as Record<string, unknown>)[c] ?? null]))
      : row
  async function* lines(): AsyncGenerator<string> {
    let first = true
    for await (const row of rows) {
      yield `${first ? '[\n' : ',\n'}  ${JSON.stringify(project(row))}`
      first = false
    }
    yield first ? '[]\n' : '\n]\n'
  }
  await pipeline(Readable.from(lines()), into(out))
}

// --- table ------------------------------------------------------------------------------------

interface TableColumn<R> {
  title: string
  right?: boolean
  cell: (r: R) => string
}

const bytes = (n: number) => formatAmount(n, 'bytes')
const count = (n: number) => n.toLocaleString('en-US')
const endpoint = (address: string, port: number | null) =>
  port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
const clock = (iso: string) => iso.slice(0, 19).replace('T', ' ')

function duration(firstIso: string, lastIso: string): string {
  const s = (Date.parse(lastIso) - Date.parse(firstIso)) / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  if (s < 3600) return `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} m`
}

const CONVERSATION_TABLE: TableColumn<ConversationRow>[] = [
  { title: 'PROTO', cell: (r) => r.protocol },
  { title: 'A', cell: (r) => endpoint(r.address_a, r.port_a) },
  { title: 'B', cell: (r) => endpoint(r.address_b, r.port_b) },
  { title: 'PKTS A>B', right: true, cell: (r) => count(r.packets_a_to_b) },
  { title: 'BYTES A>B', right: true, cell: (r) => bytes(r.bytes_a_to_b) },
  { title: 'PKTS B>A', right: true, cell: (r) => count(r.packets_b_to_a) },
  { title: 'BYTES B>A', right: true, cell: (r) => bytes(r.bytes_b_to_a) },
  { title: 'FIRST SEEN (UTC)', cell: (r) => clock(r.first_seen) },
  { title: 'DURATION', right: true, cell: (r) => duration(r.first_seen, r.last_seen) },
  { title: 'RETRANS', right: true, cell: (r) => count(r.retransmissions) },
  {
    title: 'RTT',
    right: true,
    cell: (r) => (r.handshake_rtt_ms === null ? '-' : `${r.handshake_rtt_ms.toFixed(3)} ms`),
  },
]

/**
 * Who is talking, shown only when a report carries it (history rows and files without
 * attribution keep the traffic columns alone).
 */
const WHO_TABLE: TableColumn<ConversationRow>[] = [
  { title: 'PROCESS', cell: (r) => (r.process ? `${r.process}/${r.pid}` : '-') },
  { title: 'SERVICE', cell: (r) => r.service ?? '-' },
  { title: 'NAME A', cell: (r) => r.name_a ?? '-' },
  { title: 'NAME B', cell: (r) => r.name_b ?? '-' },
  { title: 'WHERE A', cell: (r) => where(r.country_a, r.asn_a) },
  { title: 'WHERE B', cell: (r) => where(r.country_b, r.asn_b) },
]

function where(country: string | null | undefined, asn: number | null | undefined): string {
  if (!country) return '-'
  return asn === null || asn === undefined ? country : `${country} AS${asn}`
}

function conversationTable(rows: readonly ConversationRow[]): TableColumn<ConversationRow>[] {
  const has = (k: keyof ConversationRow) => rows.some((r) => r[k] !== null && r[k] !== undefined)
  const who = WHO_TABLE.filter(
    (_, i) =>
      [
        has('process'),
        has('service'),
        has('name_a'),
        has('name_b'),
        has('country_a'),
        has('country_b'),
      ][i],
  )
  return [...CONVERSATION_TABLE, ...who]
}

const sidedTable = <R extends SidedRow>(key: TableColumn<R>[]): TableColumn<R>[] => [
  ...key,
  { title: 'PKTS SENT', right: true, cell: (r) => count(r.packets_sent) },
  { title: 'SENT', right: true, cell: (r) => bytes(r.bytes_sent) },
  { title: 'PKTS RECEIVED', right: true, cell: (r) => count(r.packets_received) },
  { title: 'RECEIVED', right: true, cell: (r) => bytes(r.bytes_received) },
  { title: 'CONVERSATIONS', right: true, cell: (r) => count(r.conversations) },
]

const PROCESS_TABLE = sidedTable<ProcessRow>([
  { title: 'PROCESS', cell: (r) => r.process },
  { title: 'PID', right: true, cell: (r) => (r.pid === null ? '-' : String(r.pid)) },
])
const COUNTRY_TABLE = sidedTable<CountryRow>([{ title: 'COUNTRY', cell: (r) => r.country }])
const ASN_TABLE = sidedTable<AsnRow>([
  { title: 'ASN', right: true, cell: (r) => (r.asn === null ? '-' : `AS${r.asn}`) },
  { title: 'NETWORK', cell: (r) => r.as_org },
])
const SERVICE_TABLE: TableColumn<ServiceRow>[] = [
  { title: 'SERVICE', cell: (r) => r.service },
  { title: 'PROTO', cell: (r) => r.protocol },
  { title: 'PORT', right: true, cell: (r) => (r.port === null ? '-' : String(r.port)) },
  { title: 'PACKETS', right: true, cell: (r) => count(r.packets) },
  { title: 'BYTES', right: true, cell: (r) => bytes(r.bytes) },
  { title: 'CONVERSATIONS', right: true, cell: (r) => count(r.conversations) },
]

const HOST_TABLE: TableColumn<HostRow>[] = [
  { title: 'ADDRESS', cell: (r) => r.address },
  { title: 'PKTS SENT', right: true, cell: (r) => count(r.packets_sent) },
  { title: 'SENT', right: true, cell: (r) => bytes(r.bytes_sent) },
  { title: 'PKTS RECEIVED', right: true, cell: (r) => count(r.packets_received) },
  { title: 'RECEIVED', right: true, cell: (r) => bytes(r.bytes_received) },
  { title: 'CONVERSATIONS', right: true, cell: (r) => count(r.conversations) },
  { title: 'FIRST SEEN (UTC)', cell: (r) => clock(r.first_seen) },
  { title: 'LAST SEEN (UTC)', cell: (r) => clock(r.last_seen) },
]

function protocolTable(rows: readonly ProtocolRow[]): TableColumn<ProtocolRow>[] {
  const total = rows.reduce((s, r) => s + r.bytes, 0)
  return [
    { title: 'PROTOCOL', cell: (r) => r.protocol },
    { title: 'PACKETS', right: true, cell: (r) => count(r.packets) },
    { title: 'BYTES', right: true, cell: (r) => bytes(r.bytes) },
    {
      title: 'SHARE',
      right: true,
      cell: (r) => `${total === 0 ? '0.0' : ((100 * r.bytes) / total).toFixed(1)} %`,
    },
    { title: 'CONVERSATIONS', right: true, cell: (r) => count(r.conversations) },
  ]
}

/** Aligned columns (numbers right-aligned), two spaces apart. Widths need every row, so cells are built first. */
export async function writeTable(
  out: NodeJS.WritableStream,
  by: ReportBy,
  rows: readonly object[],
): Promise<void> {
  const tables: Record<ReportBy, () => TableColumn<never>[]> = {
    conversation: () => conversationTable(rows as ConversationRow[]),
    host: () => HOST_TABLE,
    protocol: () => protocolTable(rows as ProtocolRow[]),
    process: () => PROCESS_TABLE,
    service: () => SERVICE_TABLE,
    country: () => COUNTRY_TABLE,
    asn: () => ASN_TABLE,
  }
  const columns = tables[by]() as TableColumn<object>[]
  const cells = rows.map((r) => columns.map((c) => terminalSafe(c.cell(r))))
  const widths = columns.map((c) => c.title.length)
  for (const row of cells) row.forEach((v, i) => (widths[i] = Math.max(widths[i]!, v.length)))
  const line = (values: string[]) =>
    values
      .map((v, i) =>
        columns[i]!.right
          ? v.padStart(widths[i]!)
          : i === values.length - 1
            ? v
            : v.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd()
  await put(out, `${line(columns.map((c) => c.title))}\n`)
  for (let i = 0; i < cells.length; i += CHUNK_ROWS) {
    await put(
      out,
      `${cells
        .slice(i, i + CHUNK_ROWS)
        .map(line)
        .join('\n')}\n`,
    )
  }
  if (rows.length === 0) await put(out, '(no traffic)\n')
}

export async function writeReport(
  out: NodeJS.WritableStream,
  format: ReportFormat,
  report: Report,
): Promise<void> {
  if (format === 'csv') return writeCsv(report.rows, COLUMNS[report.by], out)
  if (format === 'json') return writeJson(report.rows, out)
  return writeTable(out, report.by, report.rows)
}
