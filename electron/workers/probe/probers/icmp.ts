import { randomBytes } from 'node:crypto'
import {
  explainOpenError,
  loadAddon,
  type IcmpAddon,
  type IcmpReply,
  type IcmpSocketHandle,
} from '../icmp-addon'
import { PendingTable, errorCode, type ProbeOutcome, type Prober } from '../prober'
import type { ReplyCounters } from '../../../shared/probes/stats'

/** "FSPI": marks our echo payloads. */
const MAGIC = 0x46535049
/** 56 bytes of data, like ping, so RTTs compare with it: magic u32 | session u32 | seq u32 | pad. */
const PAYLOAD_BYTES = 56

interface Pending {
  address: string
  sent_us: number
  sent_wall_ms: number
  timer: NodeJS.Timeout
  counters: ReplyCounters
  resolve(o: ProbeOutcome): void
}

/**
 * One ICMP socket per address family, shared by every icmp target in the process. The 16-bit wire
 * sequence is allocated here (unique among probes in flight); the payload carries a per-process
 * session so other pingers' replies on a raw socket are ignored.
 */
export class IcmpService {
  private sockets = new Map<4 | 6, IcmpSocketHandle>()
  private tables = new Map<4 | 6, PendingTable<number, Pending>>()
  private nextWire = new Map<4 | 6, number>()
  private readonly session = randomBytes(4).readUInt32BE(0)
  // Wire seq -> counters of the target that last used it, so late and duplicate replies are
  // counted against the right target (at most 65536 entries per family).
  private readonly owners = new Map<4 | 6, Map<number, ReplyCounters>>()

  constructor(
    private readonly mode: 'auto' | 'raw' | 'dgram' = 'auto',
    /** The native addon; tests pass a fake. */
    private readonly addon: () => Pick<IcmpAddon, 'IcmpSocket'> = loadAddon,
  ) {}

  /** Opens (once) the socket for `family`; throws IcmpUnavailableError with the fix. */
  socket(family: 4 | 6): IcmpSocketHandle {
    let s = this.sockets.get(family)
    if (s) return s
    const addon = this.addon()
    try {
      s = new addon.IcmpSocket(family, this.mode, (replies) => this.onReplies(family, replies))
    } catch (err) {
      throw explainOpenError(err)
    }
    this.sockets.set(family, s)
    // Replies that straggle in are attributed by wire seq; the shared table's counters are
    // unused (each pending entry carries its own target's counters).
    this.tables.set(family, new PendingTable<number, Pending>({ late: 0, duplicates: 0 }, 16384))
    this.nextWire.set(family, randomBytes(2).readUInt16BE(0))
    this.owners.set(family, new Map())
    return s
  }

  send(
    family: 4 | 6,
    address: string,
    seq: number,
    timeout_ms: number,
    counters: ReplyCounters,
  ): Promise<ProbeOutcome> {
    const socket = this.socket(family)
    const table = this.tables.get(family)!
    let wire = this.nextWire.get(family)!
    for (let i = 0; i < 0x10000 && table.has(wire); i++) wire = (wire + 1) & 0xffff
    this.nextWire.set(family, (wire + 1) & 0xffff)
    const payload = Buffer.alloc(PAYLOAD_BYTES)
    payload.writeUInt32BE(MAGIC, 0)
    payload.writeUInt32BE(this.session, 4)
    payload.writeUInt32BE(seq >>> 0, 8)
    return new Promise((resolve) => {
      const sent_wall_ms = Date.now()
      const timer = setTimeout(() => {
        if (table.expire(wire)) resolve({ sent_wall_ms, rtt_ms: null, status: 'timeout' })
      }, timeout_ms)
      const entry: Pending = { address, sent_us: 0, sent_wall_ms, timer, counters, resolve }
      table.add(wire, entry)
      this.owners.get(family)!.set(wire, counters)
      try {
        entry.sent_us = socket.send(address, wire, payload)
      } catch (err) {
        table.drop(wire)
        clearTimeout(timer)
        resolve({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) })
      }
    })
  }

  private onReplies(family: 4 | 6, replies: IcmpReply[]): void {
    const table = this.tables.get(family)
    const owners = this.owners.get(family)
    if (!table || !owners) return
    for (const r of replies) {
      if (
        r.payload.length < 12 ||
        r.payload.readUInt32BE(0) !== MAGIC ||
        r.payload.readUInt32BE(4) !== this.session
      )
        continue
      const pending = table.get(r.seq)
      if (pending && r.from !== pending.address) continue
      const counters = owners.get(r.seq)
      const before = { ...table.counters }
      const p = table.reply(r.seq)
      if (counters) {
        counters.late += table.counters.late - before.late
        counters.duplicates += table.counters.duplicates - before.duplicates
      }
      if (!p) continue
      clearTimeout(p.timer)
      p.resolve({
        sent_wall_ms: p.sent_wall_ms,
        rtt_ms: Math.max(0, (r.rx_us - p.sent_us) / 1000),
        status: 'ok',
      })
    }
  }

  close(): void {
    for (const t of this.tables.values()) for (const p of t.values()) clearTimeout(p.timer)
    for (const s of this.sockets.values()) s.close()
    this.sockets.clear()
    this.tables.clear()
  }
}

export class IcmpProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }

  constructor(
    private readonly service: IcmpService,
    private readonly address: string,
    private readonly family: 4 | 6,
  ) {
    service.socket(family) // fail now, with the fix, rather than on every probe
  }

  probe(seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return this.service.send(this.family, this.address, seq, timeout_ms, this.counters)
  }

  close(): void {}
}
