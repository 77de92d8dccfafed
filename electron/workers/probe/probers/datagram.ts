import dgram from 'node:dgram'
import { once } from 'node:events'
import { PendingTable, elapsedMs, errorCode, type ProbeOutcome, type Prober } from '../prober'

interface Pending {
  start: bigint
  sent_wall_ms: number
  timer: NodeJS.Timeout
  resolve(o: ProbeOutcome): void
}

/**
 * Request/reply probes over one UDP socket to one server (UDP echo, DNS): several probes in
 * flight, each under a key the reply carries; only datagrams from the server's address and port
 * count; late and duplicate replies are counted by the pending table, never matched.
 */
export abstract class DatagramProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  protected readonly table: PendingTable<number, Pending>
  private readonly socket: dgram.Socket

  constructor(
    protected readonly address: string,
    protected readonly port: number,
    family: 4 | 6,
    memory?: number,
  ) {
    this.table = new PendingTable<number, Pending>(this.counters, memory)
    this.socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo))
    this.socket.on('error', () => {}) // per-probe send errors are reported by send()'s callback
    this.socket.unref()
  }

  abstract probe(seq: number, timeout_ms: number): Promise<ProbeOutcome>

  /** The key of the probe a datagram from the server answers, or null if it answers none. */
  protected abstract match(msg: Buffer): number | null

  /** The outcome of an answered probe (a subclass may add phases). */
  protected answered(sent_wall_ms: number, rtt_ms: number): ProbeOutcome {
    return { sent_wall_ms, rtt_ms, status: 'ok' }
  }

  /** Binds the socket now, so the first probe does not pay for (or time) the implicit bind. */
  async ready(): Promise<this> {
    this.socket.bind(0)
    await once(this.socket, 'listening')
    return this
  }

  /** Sends the payload built for this send time as probe `key`; resolves on reply, timeout or error. */
  protected exchange(
    key: number,
    payload: (start: bigint) => Buffer,
    timeout_ms: number,
  ): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const sent_wall_ms = Date.now()
      const start = process.hrtime.bigint()
      const timer = setTimeout(() => {
        if (this.table.expire(key)) resolve({ sent_wall_ms, rtt_ms: null, status: 'timeout' })
      }, timeout_ms)
      this.table.add(key, { start, sent_wall_ms, timer, resolve })
      this.socket.send(payload(start), this.port, this.address, (err) => {
        if (!err) return
        const p = this.table.drop(key)
        if (!p) return
        clearTimeout(p.timer)
        resolve({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) })
      })
    })
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = process.hrtime.bigint()
    if (rinfo.port !== this.port || rinfo.address !== this.address) return
    const key = this.match(msg)
    if (key === null) return
    const p = this.table.reply(key)
    if (!p) return
    clearTimeout(p.timer)
    p.resolve(this.answered(p.sent_wall_ms, elapsedMs(p.start, now)))
  }

  close(): void {
    for (const p of this.table.values()) clearTimeout(p.timer)
    this.socket.close()
  }
}
