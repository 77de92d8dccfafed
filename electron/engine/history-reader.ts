/**
 * Engine side of the store reader thread (electron/workers/store-reader): hands a query over,
 * gets its rows back, and never runs SQLite on the engine's event loop.
 *
 * A request has a time limit and can be cancelled (an AbortSignal: the client went away, a
 * newer query replaced it). A query still running when that happens cannot be interrupted
 * inside SQLite, so the thread is terminated (its connection and read transaction go with it)
 * and a fresh one starts on the next request. An export is cancelled between chunks instead.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { EngineError } from './api'
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
}

type Listener = (m: ReaderReply) => void

/** A request without `id`; the client numbers them. */
type Request = ReaderRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

export class HistoryReader {
  private worker: Worker | null = null
  private nextId = 1
  private readonly listeners = new Map<number, Listener>()
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
        this.listeners.delete(id)
      }
      const abandon = (code: EngineError['code'], message: string) => {
        done()
        this.restart() // the statement may still be running: end the thread with it
        reject(new EngineError(code, message))
      }
      const onAbort = () => abandon('UNAVAILABLE', 'history query cancelled')
      const timer = setTimeout(
        () => abandon('UNAVAILABLE', `history query took longer than ${this.timeout_ms} ms`),
        this.timeout_ms,
      )
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.listeners.set(id, (m) => {
        done()
        if (m.type === 'result') resolve(m.value as T)
        else if (m.type === 'error') reject(replyError(m))
        else reject(new Error(`store reader: unexpected ${m.type}`))
      })
      this.post({ ...req, id } as ReaderRequest)
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
    this.listeners.set(id, (m) => {
      queue.push(m)
      wake?.()
    })
    const onAbort = () => wake?.()
    signal?.addEventListener('abort', onAbort, { once: true })
    let finished = false
    try {
      this.post({ ...req, id } as ReaderRequest)
      for (;;) {
        if (signal?.aborted) throw new EngineError('UNAVAILABLE', 'export cancelled')
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
      this.listeners.delete(id)
      if (!finished) this.post({ type: 'cancel', id })
    }
  }

  close(): Promise<void> {
    const w = this.worker
    this.worker = null
    for (const l of this.listeners.values())
      l({ type: 'error', id: 0, code: 'UNAVAILABLE', message: 'history is closing' })
    this.listeners.clear()
    return w ? w.terminate().then(() => undefined) : Promise.resolve()
  }

  private post(m: ReaderRequest): void {
    this.thread().postMessage(m)
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const init: ReaderInit = { path: this.opts.path, slow_ms: this.opts.slow_ms }
    const w = new Worker(this.opts.workerPath ?? defaultReaderPath(), { workerData: init })
    w.unref()
    w.on('message', (m: ReaderReply) => this.listeners.get(m.id)?.(m))
    const lost = (why: string) => {
      if (this.worker !== w) return
      this.worker = null
      for (const [id, l] of this.listeners)
        l({ type: 'error', id, code: 'INTERNAL', message: `store reader ${why}` })
    }
    w.on('error', (err) => lost(`failed: ${err.message}`))
    w.on('exit', (code) => lost(`exited (${code})`))
    this.worker = w
    return w
  }

  /** Ends the thread (and whatever it was reading); the next request starts a new one. */
  private restart(): void {
    const w = this.worker
    this.worker = null
    void w?.terminate()
    // Requests still queued on that thread end with it.
    for (const [id, l] of [...this.listeners])
      l({ type: 'error', id, code: 'UNAVAILABLE', message: 'history reader restarted' })
  }
}

/** The thread's error as the contract's: INTERNAL stays a plain Error (dispatch maps it). */
function replyError(m: { code: string; message: string }): Error {
  if (m.code === 'NOT_FOUND' || m.code === 'BAD_REQUEST' || m.code === 'UNAVAILABLE')
    return new EngineError(m.code, m.message)
  if (m.code === 'CANCELLED') return new EngineError('UNAVAILABLE', m.message)
  return new Error(m.message)
}
