/**
 * Sending messages to one collector without ever making the capture wait: every send is
 * asynchronous, at most maxQueue messages are queued or in flight, anything beyond is dropped
 * and counted. UDP uses a connected socket so an ICMP port unreachable surfaces as a counted
 * ECONNREFUSED; TCP (IPFIX only) reconnects with exponential backoff.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { isIP, Socket as TcpSocket } from 'node:net'

export interface TransportStats {
  messagesSent: number
  bytesSent: number
  sendErrors: number
  /** Messages dropped because the queue was full or (TCP) there was no connection. */
  dropped: number
  connected: boolean
  lastError: string | null
}

export interface Transport {
  readonly stats: TransportStats
  send(msg: Buffer): void
  /** Messages queued or in flight. */
  pending(): number
  /** Called when a new session starts (TCP connected): templates must be resent. */
  onSession: (() => void) | null
  close(): void
}

function newStats(): TransportStats {
  return {
    messagesSent: 0,
    bytesSent: 0,
    sendErrors: 0,
    dropped: 0,
    connected: false,
    lastError: null,
  }
}

const errText = (err: Error) => (err as NodeJS.ErrnoException).code ?? err.message

export class UdpTransport implements Transport {
  readonly stats = newStats()
  onSession: (() => void) | null = null
  private readonly sock: UdpSocket
  private readonly waiting: Buffer[] = []
  private closed = false

  constructor(
    host: string,
    port: number,
    private readonly maxQueue: number,
  ) {
    this.sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
    this.sock.unref()
    this.sock.on('error', (err) => this.fail(err))
    this.sock.connect(port, host, () => {
      this.stats.connected = true
      for (const m of this.waiting.splice(0)) this.send(m)
    })
  }

  private fail(err: Error): void {
    this.stats.sendErrors++
    this.stats.lastError = errText(err)
  }

  /** Queued in libuv: the kernel would not take them yet (a send that fits leaves at once). */
  pending(): number {
    return this.closed ? 0 : this.sock.getSendQueueCount() + this.waiting.length
  }

  send(msg: Buffer): void {
    if (this.closed) return
    if (this.pending() >= this.maxQueue) {
      this.stats.dropped++
      return
    }
    if (!this.stats.connected) {
      this.waiting.push(msg)
      return
    }
    try {
      this.sock.send(msg, (err) => {
        if (err) this.fail(err)
        else {
          this.stats.messagesSent++
          this.stats.bytesSent += msg.length
        }
      })
    } catch (err) {
      this.fail(err as Error)
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.waiting.length = 0
    try {
      this.sock.close()
    } catch {
      // already closed
    }
  }
}

/** The queue bound for TCP is in bytes: maxQueue messages of this size. */
const TCP_MESSAGE_BYTES = 1500
export const TCP_BACKOFF_MIN_MS = 500
export const TCP_BACKOFF_MAX_MS = 30_000

export class TcpTransport implements Transport {
  readonly stats = newStats()
  onSession: (() => void) | null = null
  private sock: TcpSocket | null = null
  private backoffMs = TCP_BACKOFF_MIN_MS
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxQueue: number,
  ) {
    this.connect()
  }

  private connect(): void {
    if (this.closed) return
    const sock = new TcpSocket()
    this.sock = sock
    sock.setNoDelay(true)
    sock.on('connect', () => {
      this.stats.connected = true
      this.backoffMs = TCP_BACKOFF_MIN_MS
      this.onSession?.()
    })
    sock.on('error', (err) => {
      this.stats.sendErrors++
      this.stats.lastError = errText(err)
    })
    sock.on('close', () => {
      this.stats.connected = false
      if (this.sock === sock) this.sock = null
      if (this.closed) return
      this.timer = setTimeout(() => this.connect(), this.backoffMs)
      this.timer.unref()
      this.backoffMs = Math.min(this.backoffMs * 2, TCP_BACKOFF_MAX_MS)
    })
    sock.connect(this.port, this.host)
    sock.unref()
  }

  /** Bytes the kernel has not taken yet, in messages of the usual size (rounded up). */
  pending(): number {
    const queued = this.sock?.writableLength ?? 0
    return Math.ceil(queued / TCP_MESSAGE_BYTES)
  }

  send(msg: Buffer): void {
    const sock = this.sock
    // A slow collector fills the socket: drop whole messages rather than buffer without bound.
    if (
      !sock ||
      !this.stats.connected ||
      sock.writableLength + msg.length > this.maxQueue * TCP_MESSAGE_BYTES
    ) {
      this.stats.dropped++
      return
    }
    sock.write(msg, (err) => {
      if (err) return // counted by the 'error' handler
      this.stats.messagesSent++
      this.stats.bytesSent += msg.length
    })
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.sock?.destroy()
    this.sock = null
    this.stats.connected = false
  }
}
