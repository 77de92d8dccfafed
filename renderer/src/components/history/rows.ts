/**
 * What the History page needs from any history row, whatever the grouping: the group it belongs
 * to (a key and a label), its bytes in both directions, and its bucket. Groupings added later
 * (process, service, ...) work through the generic rules: identity = the text and port columns,
 * bytes = every `bytes`, `bytes_*` or `*_bytes` column.
 */
import type { HistoryRow, HistoryStep } from '../../../../common/history'
import { STEP_SECONDS } from '../../../../common/history'

type Row = Record<string, unknown>

const NOT_IDENTITY = new Set(['bucket_start', 'first_seen', 'last_seen'])
/** Numeric columns that name a group rather than count it. */
const NUMERIC_IDENTITY = /^(port(_[ab])?|pid|asn)$/
const CONVERSATION = ['protocol', 'address_a', 'port_a', 'address_b', 'port_b']
const isBytes = (k: string) => k === 'bytes' || k.startsWith('bytes_') || k.endsWith('_bytes')

/**
 * The columns that name a row's group (in order). A conversation is its protocol and endpoints
 * (who is talking — process, service, names, countries — describes it, and may be learnt late).
 */
export function identityColumns(row: HistoryRow): string[] {
  if ('address_a' in row) return CONVERSATION
  return Object.entries(row as Row)
    .filter(([k, v]) => !NOT_IDENTITY.has(k) && (typeof v === 'string' || NUMERIC_IDENTITY.test(k)))
    .map(([k]) => k)
}

export function groupKey(row: HistoryRow): string {
  const r = row as Row
  return identityColumns(row)
    .map((k) => String(r[k] ?? ''))
    .join('|')
}

/** A readable label: "tcp 10.0.0.1:5201 ↔ 10.0.0.2:40000" for a conversation, else the values. */
export function groupLabel(row: HistoryRow): string {
  const r = row as Row
  if ('address_a' in r && 'address_b' in r) {
    const end = (a: string, p: unknown) => (p === null || p === undefined ? a : `${a}:${p}`)
    return `${String(r.protocol)} ${end(String(r.address_a), r.port_a)} ↔ ${end(String(r.address_b), r.port_b)}`
  }
  return identityColumns(row)
    .map((k) => r[k])
    .filter((v) => v !== null && v !== undefined)
    .join(' ')
}

/**
 * Bytes of a row, so that a stack adds up to the traffic once: both directions of a
 * conversation, interface, process or service; what a host, country or network sent (each
 * conversation has two of those, one sending what the other receives).
 */
export function rowBytes(row: HistoryRow): number {
  const r = row as Row
  const perSide = 'bytes_sent' in r && ('address' in r || 'country' in r || 'as_org' in r)
  const keys = perSide ? ['bytes_sent'] : Object.keys(r).filter(isBytes)
  return keys.reduce((sum, k) => sum + (typeof r[k] === 'number' ? (r[k] as number) : 0), 0)
}

export const bucketMs = (row: HistoryRow): number | null => {
  const b = (row as Row).bucket_start
  return typeof b === 'string' ? Date.parse(b) : null
}

/** Range presets, seconds. */
export const PRESETS = { hour: 3600, day: 86400, week: 7 * 86400, month: 30 * 86400 } as const
export type Preset = keyof typeof PRESETS

/** The finest bucket that keeps a range under ~400 buckets (the chart stays readable). */
export function bucketFor(span_s: number): HistoryStep {
  for (const step of ['10s', '1m', '1h'] as const)
    if (span_s / STEP_SECONDS[step] <= 400) return step
  return '1d'
}
