/**
 * Bounds of serve mode: what one client may make the server hold or do. Tests pass smaller ones.
 */
export interface ServeLimits {
  /** Bytes queued to one WebSocket client before events are skipped and a response closes it. */
  maxBufferedBytes: number
  /** Largest WebSocket message a client may send. */
  maxMessageBytes: number
  /** Request line plus headers of one HTTP request (node answers 431 beyond). */
  maxHeaderBytes: number
  /** All of a request's headers must arrive within this (slowloris); node answers 408. */
  headersTimeoutMs: number
  /** The whole request (not the response) must arrive within this. */
  requestTimeoutMs: number
  /** Idle keep-alive connections close after this. */
  keepAliveTimeoutMs: number
  /** Open TCP connections (pages, downloads and WebSockets together). */
  maxConnections: number
  /** WebSocket clients at once; the next upgrade gets 503. */
  maxClients: number
  /** Requests one WebSocket client may have dispatched and unanswered at once. */
  maxInFlight: number
  /**
   * Requests per second one WebSocket client may send: the excess is answered UNAVAILABLE, and a
   * client that keeps sending past twice the rate within one second is closed (1008).
   */
  maxRequestsPerSecond: number
  /** A WebSocket peer that answers no ping for this long is dropped. */
  heartbeatMs: number
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBufferedBytes: 4 * 1024 * 1024,
  maxMessageBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxClients: 32,
  maxInFlight: 32,
  maxRequestsPerSecond: 200,
  heartbeatMs: 30_000,
}

/** Counts requests in one-second windows: 'ok', 'refuse' (over the rate) or 'close' (over 2x). */
export class RequestRate {
  private windowStart = 0
  private count = 0

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(): 'ok' | 'refuse' | 'close' {
    const t = this.now()
    if (t - this.windowStart >= 1000) {
      this.windowStart = t
      this.count = 0
    }
    this.count++
    if (this.count <= this.perSecond) return 'ok'
    return this.count <= 2 * this.perSecond ? 'refuse' : 'close'
  }
}
