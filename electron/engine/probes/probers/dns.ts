import { randomInt } from 'node:crypto'
import dgram from 'node:dgram'
import { once } from 'node:events'
import dnsPacket from 'dns-packet'
import type { DnsType } from '../target'
import { PendingTable, elapsedMs, errorCode, type ProbeOutcome, type Prober } from '../prober'

interface Pending {
  start: bigint
  sent_wall_ms: number
  timer: NodeJS.Timeout
  resolve(o: ProbeOutcome): void
}

/**
 * DNS query time over UDP against one server: each query gets a random unused 16-bit ID and is
 * matched by ID, source and question. Any answer (NXDOMAIN and SERVFAIL too) is a reply.
 */
export class DnsProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  private readonly table = new PendingTable<number, Pending>(this.counters, 4096)
  private readonly socket: dgram.Socket

  constructor(
    private readonly address: string,
    private readonly port: number,
    family: 4 | 6,
    private readonly name: string,
    private readonly qtype: DnsType,
  ) {
    this.socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo))
    this.socket.on('error', () => {})
    this.socket.unref()
  }

  /** Binds the socket now, so the first probe does not pay for (or time) the implicit bind. */
  async ready(): Promise<this> {
    this.socket.bind(0)
    await once(this.socket, 'listening')
    return this
  }

  probe(_seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      let id = randomInt(0x10000)
      while (this.table.has(id)) id = randomInt(0x10000)
      const query = dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: this.qtype, name: this.name }],
      })
      const sent_wall_ms = Date.now()
      const start = process.hrtime.bigint()
      const timer = setTimeout(() => {
        if (this.table.expire(id)) resolve({ sent_wall_ms, rtt_ms: null, status: 'timeout' })
      }, timeout_ms)
      this.table.add(id, { start, sent_wall_ms, timer, resolve })
      this.socket.send(query, this.port, this.address, (err) => {
        if (!err) return
        const p = this.table.drop(id)
        if (!p) return
        clearTimeout(p.timer)
        resolve({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) })
      })
    })
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = process.hrtime.bigint()
    if (rinfo.port !== this.port || rinfo.address !== this.address) return
    let packet: dnsPacket.Packet
    try {
      packet = dnsPacket.decode(msg)
    } catch {
      return // not DNS: ignore
    }
    const q = packet.questions?.[0]
    if (packet.type !== 'response' || packet.id === undefined) return
    if (q && q.name.toLowerCase() !== this.name.toLowerCase()) return
    const p = this.table.reply(packet.id)
    if (!p) return
    clearTimeout(p.timer)
    const rtt_ms = elapsedMs(p.start, now)
    p.resolve({ sent_wall_ms: p.sent_wall_ms, rtt_ms, status: 'ok', phases_ms: { query: rtt_ms } })
  }

  close(): void {
    for (const p of this.table.values()) clearTimeout(p.timer)
    this.socket.close()
  }
}
