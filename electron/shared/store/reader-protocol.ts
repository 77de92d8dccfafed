/**
 * Messages between the engine host and the store reader thread (electron/workers/store-reader).
 * One request at a time per id; results come back whole (bounded by a row limit) and exports
 * come back as text chunks, each sent only after the host asked for more, so at most one chunk
 * is in flight and a cancelled export stops between chunks (its statement reset, so its read
 * transaction ends).
 */
import type { AlertHistoryQuery, HistoryQuery, ProbeHistoryQuery } from '../../../common/history'

export interface ReaderInit {
  path: string
  /** Test hook: the thread blocks this long before each request (a deliberately slow reader). */
  slow_ms?: number
}

export type ReaderRequest =
  | { type: 'history'; id: number; query: HistoryQuery; max_rows: number }
  | { type: 'probes'; id: number; query: ProbeHistoryQuery; max_rows: number }
  | { type: 'alerts'; id: number; query: AlertHistoryQuery }
  | { type: 'export'; id: number; query: HistoryQuery; format: 'csv' | 'json' }
  /** The host took the previous export chunk: send the next one. */
  | { type: 'more'; id: number }
  | { type: 'cancel'; id: number }

export type ReaderReply =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'chunk'; id: number; data: string }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; code: string; message: string }

/** Bytes of export text per chunk. */
export const EXPORT_CHUNK_BYTES = 64 * 1024
