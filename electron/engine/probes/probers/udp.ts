import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { PendingTable, elapsedMs, errorCode, type ProbeOutcome, type Prober } from '../prober'

/** "FSPU": marks our echo payloads. */
export const UDP_MAGIC = 0x46535055
/** magic u32 | session u32 | seq u32 | send time (hrtime ns) u64 */
export const UDP_PAYLOAD_BYTES = 20

interface Pending {
  start: bigint
  sent_wall_ms: number
  timer: NodeJS.Timeout
  resolve(o: ProbeOutcome): void
}

export function encodeEcho(session: number, seq: number, sentNs: bigint): Buffer {
  const b = Buffer.alloc(UDP_PAYLOAD_BYTES)
  b.writeUInt32BE(UDP_MAGIC, 0)
  b.writeUInt32BE(session, 4)
  b.writeUInt32BE(seq >>> 0, 8)
  b.writeBigUInt64BE(sentNs, 12)
  return b
}

export function decodeEcho(b: Buffer): { session: number; seq: number; sentNs: bigint } | null {
  if (b.length < UDP_PAYLOAD_BYTES || b.readUInt32BE(0) !== UDP_MAGIC) return null
  return { session: b.readUInt32BE(4), seq: b.readUInt32BE(8), sentNs: b.readBigUInt64BE(12) }
}

/**
 * RFC 862 echo. Each probe carries a session id, its sequence number and send time; replies are
 * matched by seq (several may be in flight), from the target's address and port only.
 */
export class UdpProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  private readonly table = new PendingTable<number, Pending>(this.counters)
  private readonly session = randomBytes(4).readUInt32BE(0)
  private readonly socket: dgram.Socket

  constructor(
    private readonly address: string,
    private readonly port: number,
    family: 4 | 6,
  ) {
    this.socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo))
    this.socket.on('error', () => {}) // per-probe send errors are reported by send()'s callback
    this.socket.unref()
  }

  /** Binds the socket now, so the first probe does not pay for (or time) the implicit bind. */
  async ready(): Promise<this> {
    this.socket.bind(0)
    await once(this.socket, 'listening')
    return this
  }

  probe(seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const sent_wall_ms = Date.now()
      const start = process.hrtime.bigint()
      const timer = setTimeout(() => {
        if (this.table.expire(seq)) resolve({ sent_wall_ms, rtt_ms: null, status: 'timeout' })
      }, timeout_ms)
      this.table.add(seq, { start, sent_wall_ms, timer, resolve })
      this.socket.send(encodeEcho(this.session, seq, start), this.port, this.address, (err) => {
        if (!err) return
        const p = this.table.drop(seq)
        if (!p) return
        clearTimeout(p.timer)
        resolve({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) })
      })
    })
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = process.hrtime.bigint()
    if (rinfo.port !== this.port || rinfo.address !== this.address) return
    const echo = decodeEcho(msg)
    if (!echo || echo.session !== this.session) return
    const p = this.table.reply(echo.seq)
    if (!p) return
    clearTimeout(p.timer)
    p.resolve({ sent_wall_ms: p.sent_wall_ms, rtt_ms: elapsedMs(p.start, now), status: 'ok' })
  }

  close(): void {
    for (const p of this.table.values()) clearTimeout(p.timer)
    this.socket.close()
  }
}
