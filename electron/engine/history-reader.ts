/**
 * Engine side of the store reader thread (electron/workers/store-reader): hands a query over,
 * gets its rows back, and never runs SQLite on the engine's event loop.
 *
 * A request has a time limit and can be cancelled (an AbortSignal: the client went away, a
 * newer query replaced it; it then rejects with the signal's EngineError('CANCELLED')). A query
 * still running when that happens cannot be interrupted inside SQLite, so the thread is
 * terminated (its connection and read transaction go with it) and a fresh one takes the
 * requests queued behind it. An export is cancelled between chunks instead; History gives
 * exports their own reader so that replacing a query thread never cuts a download.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { cancelledBy, EngineError } from './api'
import type { ReaderInit, ReaderReply, ReaderRequest } from '../shared/store/reader-protocol'

/** The built thread entry (out/main/store-reader.js), beside this chunk, one level up, or from source. */
export function defaultReaderPath(): string {
  const candidates = [
    join(__dirname, 'store-reader.js'),
    join(__dirname, '..', 'store-reader.js'),
    join(__dirname, '..', '..', 'out', 'main', 'store-reader.js'),
  ]
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string)
}

export interface ReaderOptions extends ReaderInit {
  workerPath?: string
  /** Longest a query may run before it is abandoned (ms). */
  timeout_ms?: number
  /** Test hook with `slow_ms`: only the first N threads started are slow (default: all). */
  slow_threads?: number
}

type Listener = (m: ReaderReply) => void

/** A request without `id`; the client numbers them. */
type Request = ReaderRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

/** A request waiting for its answer; `replay`: posted again if its thread is replaced. */
interface Pending {
  listener: Listener
  replay: ReaderRequest | null
}

/**
 * Threads terminated with a query still inside SQLite: terminate() ends a thread only when
 * SQLite returns control to JavaScript (the end of the statement's current step), so a
 * cancelled heavy query keeps its core until then. Past this many, new threads wait.
 */
const MAX_DYING = 2

export class HistoryReader {
  private worker: Worker | null = null
  private started = 0
  private nextId = 1
  /** In the order posted: the thread answers requests in that order, one at a time. */
  private readonly pending = new Map<number, Pending>()
  private readonly dying = new Set<Worker>()
  private readonly timeout_ms: number

  constructor(private readonly opts: ReaderOptions) {
    this.timeout_ms = opts.timeout_ms ?? 30_000
  }

  /** One request with a single result. */
  request<T>(req: Request, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.pending.delete(id)
      }
      const abandon = (err: EngineError) => {
        // The running request is the oldest: its thread is replaced (the statement ends with
        // it) and the others go to the new one. One still queued is just dropped.
        const running = this.pending.keys().next().value === id
        done()
        if (running) this.restart()
        reject(err)
      }
      const onAbort = () => abandon(signal ? cancelledBy(signal) : new EngineError('CANCELLED', ''))
      const timer = setTimeout(
        () =>
          abandon(
            new EngineError('UNAVAILABLE', `history query took longer than ${this.timeout_ms} ms`),
          ),
        this.timeout_ms,
      )
      if (signal?.aborted) {
        clearTimeout(timer)
        return reject(cancelledBy(signal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const message = { ...req, id } as ReaderRequest
      this.pending.set(id, {
        replay: message,
        listener: (m) => {
          done()
          if (m.type === 'result') resolve(m.value as T)
          else if (m.type === 'error') reject(replyError(m))
          else reject(new Error(`store reader: unexpected ${m.type}`))
        },
      })
      this.post(message)
    })
  }

  /**
   * Streams an export's text chunks; the next chunk is asked for only once the consumer took
   * this one. Leaving the loop early (or `signal`) cancels it and the thread releases its read.
   */
  async *stream(req: Request, signal?: AbortSignal): AsyncGenerator<string> {
    const id = this.nextId++
    const queue: ReaderReply[] = []
    let wake: (() => void) | null = null
    this.pending.set(id, {
      replay: null,
      listener: (m) => {
        queue.push(m)
        wake?.()
      },
    })
    const onAbort = () => wake?.()
    signal?.addEventListener('abort', onAbort, { once: true })
    let finished = false
    try {
      this.post({ ...req, id } as ReaderRequest)
      for (;;) {
        if (signal?.aborted) throw new EngineError('CANCELLED', 'export cancelled')
        const m = queue.shift()
        if (!m) {
          await new Promise<void>((resolve) => (wake = resolve))
          wake = null
          continue
        }
        if (m.type === 'end') {
          finished = true
          return
        }
        if (m.type === 'error') {
          finished = true
          throw replyError(m)
        }
        if (m.type === 'chunk') {
          yield m.data
          this.post({ type: 'more', id })
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.pending.delete(id)
      if (!finished) this.post({ type: 'cancel', id })
    }
  }

  /** Threads replaced while a statement was still running in them and not exited yet. */
  get dyingThreads(): number {
    return this.dying.size
  }

  close(): Promise<void> {
    const w = this.worker
    this.worker = null
    for (const p of this.pending.values())
      p.listener({ type: 'error', id: 0, code: 'UNAVAILABLE', message: 'history is closing' })
    this.pending.clear()
    return w ? w.terminate().then(() => undefined) : Promise.resolve()
  }

  private post(m: ReaderRequest): void {
    const w = this.thread()
    if (w) w.postMessage(m)
    else
      this.pending.get(m.id)?.listener({
        type: 'error',
        id: m.id,
        code: 'UNAVAILABLE',
        message: 'history is busy ending cancelled queries: retry in a moment',
      })
  }

  private thread(): Worker | null {
    if (this.worker) return this.worker
    if (this.dying.size >= MAX_DYING) return null
    const slow = this.opts.slow_threads === undefined || this.started < this.opts.slow_threads
    this.started++
    const init: ReaderInit = { path: this.opts.path, slow_ms: slow ? this.opts.slow_ms : undefined }
    const w = new Worker(this.opts.workerPath ?? defaultReaderPath(), { workerData: init })
    w.unref()
    w.on('message', (m: ReaderReply) => {
      if (this.worker === w) this.pending.get(m.id)?.listener(m)
    })
    const lost = (why: string) => {
      this.dying.delete(w)
      if (this.worker !== w) return
      this.worker = null
      for (const [id, p] of [...this.pending])
        p.listener({ type: 'error', id, code: 'INTERNAL', message: `store reader ${why}` })
    }
    w.on('error', (err) => lost(`failed: ${err.message}`))
    w.on('exit', (code) => lost(`exited (${code})`))
    this.worker = w
    return w
  }

  /**
   * Ends the thread (and whatever it was reading); what was queued behind goes to a new one.
   * An export cannot resume elsewhere: it fails.
   */
  private restart(): void {
    const w = this.worker
    this.worker = null
    if (w) {
      this.dying.add(w)
      void w.terminate()
    }
    for (const [id, p] of [...this.pending]) {
      if (p.replay) this.post(p.replay)
      else
        p.listener({ type: 'error', id, code: 'UNAVAILABLE', message: 'history reader restarted' })
    }
  }
}

/** The thread's error as the contract's: INTERNAL stays a plain Error (dispatch maps it). */
function replyError(m: { code: string; message: string }): Error {
  if (m.code === 'NOT_FOUND' || m.code === 'BAD_REQUEST' || m.code === 'UNAVAILABLE')
    return new EngineError(m.code, m.message)
  if (m.code === 'CANCELLED') return new EngineError('CANCELLED', m.message)
  return new Error(m.message)
}
