/**
 * The store reader thread: its own read-only SQLite connection, so history queries, probe
 * history and exports never run on the engine's event loop. See docs/history.md.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Writable } from 'node:stream'
import {
  openHistoryDb,
  queryAlerts,
  queryHistory,
  queryProbes,
  exportHistory,
  StoreError,
  type Db,
} from '../../shared/store'
import {
  EXPORT_CHUNK_BYTES,
  type ReaderInit,
  type ReaderReply,
  type ReaderRequest,
} from '../../shared/store/reader-protocol'

const port = parentPort
if (!port) throw new Error('store-reader: run as a worker thread')
const init = workerData as ReaderInit
let db: Db | null = null

const send = (m: ReaderReply) => port.postMessage(m)

/** Opened on first use: the database may not exist until the writer creates it. */
function open(): Db {
  db ??= openHistoryDb(init.path, { readonly: true })
  return db
}

function slow(): void {
  if (init.slow_ms) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, init.slow_ms)
}

/** Exports waiting for the host to ask for their next chunk. */
const exports = new Map<number, { more: () => void; cancel: () => void }>()

function fail(id: number, err: unknown): void {
  const code =
    err instanceof StoreError
      ? 'NOT_FOUND'
      : err instanceof Error && err.name === 'ZodError'
        ? 'BAD_REQUEST'
        : err instanceof Error && err.message === 'cancelled'
          ? 'CANCELLED'
          : 'INTERNAL'
  send({ id, type: 'error', code, message: err instanceof Error ? err.message : String(err) })
}

async function runExport(id: number, req: Extract<ReaderRequest, { type: 'export' }>) {
  let buffered = ''
  let waiting: (() => void) | null = null
  let cancelled = false
  exports.set(id, {
    more: () => {
      const w = waiting
      waiting = null
      w?.()
    },
    cancel: () => {
      cancelled = true
      const w = waiting
      waiting = null
      w?.()
    },
  })
  const flush = async () => {
    send({ id, type: 'chunk', data: buffered })
    buffered = ''
    await new Promise<void>((resolve) => (waiting = resolve))
    if (cancelled) throw new Error('cancelled')
  }
  const out = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      buffered += String(chunk)
      if (buffered.length < EXPORT_CHUNK_BYTES) return done()
      flush().then(() => done(), done)
    },
  })
  try {
    // An error (or the cancel) unwinds the row iterator, which resets the statement and so
    // ends its read transaction.
    await exportHistory(open(), req.query, req.format, out)
    if (buffered) await flush()
    send({ id, type: 'end' })
  } catch (err) {
    fail(id, err)
  } finally {
    exports.delete(id)
  }
}

port.on('message', (req: ReaderRequest) => {
  try {
    if (req.type === 'more') return exports.get(req.id)?.more()
    if (req.type === 'cancel') return exports.get(req.id)?.cancel()
    slow()
    if (req.type === 'history')
      return send({
        id: req.id,
        type: 'result',
        value: queryHistory(open(), req.query, req.max_rows),
      })
    if (req.type === 'probes')
      return send({
        id: req.id,
        type: 'result',
        value: queryProbes(open(), req.query, req.max_rows),
      })
    if (req.type === 'alerts')
      return send({ id: req.id, type: 'result', value: queryAlerts(open(), req.query) })
    if (req.type === 'export') void runExport(req.id, req)
  } catch (err) {
    fail(req.id, err)
  }
})
