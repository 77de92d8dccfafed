/**
 * Delivery to one webhook receiver: a bounded queue sent in order, each POST with a timeout,
 * retried with exponential backoff on network errors, timeouts, 408, 429 and 5xx, and at most
 * `max_per_minute` POSTs a minute (the rest wait in the queue; when it is full the oldest
 * notification is dropped and counted).
 */
import { durationSeconds, type Webhook } from '../../../common/alerts'

export interface WebhookStats {
  delivered: number
  /** Notifications given up on after every retry (or refused with a 4xx). */
  failed: number
  /** Dropped because the queue was full. */
  dropped: number
  attempts: number
  queued: number
  last_error: string | null
}

export interface SenderOptions {
  /** Most notifications waiting; the oldest is dropped beyond it. */
  maxQueue?: number
  /** First retry delay; doubles each retry, at most 60 s. */
  backoffMs?: number
  fetch?: typeof fetch
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })

export class WebhookSender {
  readonly stats: WebhookStats = {
    delivered: 0,
    failed: 0,
    dropped: 0,
    attempts: 0,
    queued: 0,
    last_error: null,
  }
  private readonly queue: string[] = []
  private readonly sentAt: number[] = []
  private running: Promise<void> | null = null
  private readonly stop = new AbortController()
  private readonly maxQueue: number
  private readonly backoffMs: number
  private readonly fetch: typeof fetch
  private readonly timeoutMs: number

  constructor(
    readonly hook: Webhook,
    opts: SenderOptions = {},
  ) {
    this.maxQueue = opts.maxQueue ?? 256
    this.backoffMs = opts.backoffMs ?? 500
    this.fetch = opts.fetch ?? fetch
    this.timeoutMs = durationSeconds(hook.timeout) * 1000
  }

  send(body: unknown): void {
    if (this.stop.signal.aborted) return
    this.queue.push(JSON.stringify(body))
    if (this.queue.length > this.maxQueue) {
      this.queue.shift()
      this.stats.dropped++
    }
    this.stats.queued = this.queue.length
    this.running ??= this.drain().finally(() => (this.running = null))
  }

  /** Resolves once the queue is empty (or the sender is closed). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Stops sending: the POST in flight is aborted, the queue dropped. */
  async close(): Promise<void> {
    this.stop.abort()
    await this.running
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stop.signal.aborted) {
      await this.waitForRate()
      if (this.stop.signal.aborted) break
      const body = this.queue.shift()!
      this.stats.queued = this.queue.length
      await this.deliver(body)
    }
  }

  private async waitForRate(): Promise<void> {
    const now = Date.now()
    while (this.sentAt.length > 0 && this.sentAt[0]! <= now - 60_000) this.sentAt.shift()
    if (this.sentAt.length >= this.hook.max_per_minute)
      await sleep(this.sentAt[0]! + 60_000 - now, this.stop.signal)
  }

  private async deliver(body: string): Promise<void> {
    for (let attempt = 0; attempt <= this.hook.retries; attempt++) {
      if (attempt > 0)
        await sleep(Math.min(60_000, this.backoffMs * 2 ** (attempt - 1)), this.stop.signal)
      if (this.stop.signal.aborted) return
      this.sentAt.push(Date.now())
      this.stats.attempts++
      const verdict = await this.post(body)
      if (verdict === 'ok') {
        this.stats.delivered++
        return
      }
      if (verdict === 'permanent') break
    }
    this.stats.failed++
  }

  private async post(body: string): Promise<'ok' | 'retry' | 'permanent'> {
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(), this.timeoutMs)
    const abort = () => timeout.abort()
    this.stop.signal.addEventListener('abort', abort, { once: true })
    try {
      const res = await this.fetch(this.hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Flowscope',
          ...(this.hook.bearer_token && { authorization: `Bearer ${this.hook.bearer_token}` }),
        },
        body,
        signal: timeout.signal,
        redirect: 'error',
      })
      await res.body?.cancel().catch(() => {})
      if (res.ok) return 'ok'
      this.stats.last_error = `HTTP ${res.status}`
      return res.status === 408 || res.status === 429 || res.status >= 500 ? 'retry' : 'permanent'
    } catch (err) {
      this.stats.last_error = timeout.signal.aborted
        ? `timed out after ${this.timeoutMs} ms`
        : String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message)
      return 'retry'
    } finally {
      clearTimeout(timer)
      this.stop.signal.removeEventListener('abort', abort)
    }
  }
}
