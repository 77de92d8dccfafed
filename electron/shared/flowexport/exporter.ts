/**
 * The flow exporter: attached to an Aggregator, it turns each flow's per-direction counters
 * into uniflow records on capture time (active and idle timeouts as softflowd and routers
 * have them) and sends them as IPFIX or NetFlow v9 to every collector. It never throws into
 * the capture and never waits for a collector.
 */
import type { Flow } from '../flows/flow'
import { X_FIRST_US, X_FLAGS, X_LAST_US, X_OCTETS, X_PACKETS } from '../flows/flow'
import type { FlowExportSink, FlowRemoval } from '../flows/aggregator'
import { MessageEncoder } from './encoder'
import {
  DEFAULT_ACTIVE_TIMEOUT_S,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_MAX_QUEUE,
  DEFAULT_MTU,
  DEFAULT_TEMPLATE_REFRESH_MESSAGES,
  DEFAULT_TEMPLATE_REFRESH_S,
  IP_UDP_OVERHEAD,
  type CollectorSpec,
  type FlowExportOptions,
} from './options'
import {
  END_ACTIVE,
  END_FORCED,
  END_IDLE,
  END_LACK_OF_RESOURCES,
  END_OF_FLOW,
  type FlowRecord,
} from './record'
import { TcpTransport, UdpTransport, type Transport, type TransportStats } from './transport'

const TCP_FIN_RST = 0x01 | 0x04
/** Records held before they are encoded mid-tick (bounds memory when many flows end at once). */
const MAX_PENDING_RECORDS = 4096
/** NetFlow v9 uptime origin this long before the first packet: tolerates out-of-order timestamps. */
const BOOT_MARGIN_MS = 60_000

export interface CollectorStats extends TransportStats {
  url: string
  /** Data records encoded for this collector (sent or not). */
  records: number
  /** Messages encoded for this collector. */
  messages: number
}

export interface FlowExportStats {
  /** Uniflow records produced (each goes to every collector). */
  records: number
  messagesSent: number
  bytesSent: number
  sendErrors: number
  dropped: number
  collectors: CollectorStats[]
}

/** Makes a transport; tests and the bench may pass their own. */
export type TransportFactory = (c: CollectorSpec, maxQueue: number) => Transport

const defaultTransport: TransportFactory = (c, maxQueue) =>
  c.transport === 'tcp'
    ? new TcpTransport(c.host, c.port, maxQueue)
    : new UdpTransport(c.host, c.port, maxQueue)

interface Collector {
  spec: CollectorSpec
  encoder: MessageEncoder
  transport: Transport
  records: number
  messages: number
}

export class FlowExporter implements FlowExportSink {
  private readonly activeUs: number
  private readonly idleUs: number
  private readonly collectors: Collector[]
  private pending: FlowRecord[] = []
  private records = 0
  private nowMs = -1
  private closed = false

  constructor(options: FlowExportOptions, makeTransport: TransportFactory = defaultTransport) {
    this.activeUs = (options.activeTimeoutS ?? DEFAULT_ACTIVE_TIMEOUT_S) * 1e6
    this.idleUs = (options.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S) * 1e6
    const mtu = options.mtu ?? DEFAULT_MTU
    const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE
    this.collectors = options.collectors.map((spec) => {
      const encoder = new MessageEncoder(spec.protocol, {
        domainId: options.domainId ?? 0,
        maxMessageBytes: mtu - IP_UDP_OVERHEAD,
        // Over TCP the session is reliable: templates once per connection (RFC 7011 8.1).
        templateRefreshMs:
          spec.transport === 'tcp'
            ? 0
            : (options.templateRefreshS ?? DEFAULT_TEMPLATE_REFRESH_S) * 1000,
        templateRefreshMessages:
          spec.transport === 'tcp'
            ? 0
            : (options.templateRefreshMessages ?? DEFAULT_TEMPLATE_REFRESH_MESSAGES),
        ingressInterface: options.ingressInterface ?? 0,
      })
      const transport = makeTransport(spec, maxQueue)
      const c: Collector = { spec, encoder, transport, records: 0, messages: 0 }
      transport.onSession = () => {
        encoder.restart()
        if (this.nowMs >= 0) this.sendAll(c, encoder.refresh(this.nowMs))
      }
      return c
    })
  }

  /** Once per capture second: report directions that went idle or outlived the active timeout. */
  tick(nowUs: number, flows: Iterable<Flow>): void {
    if (this.closed) return
    try {
      this.clock(nowUs)
      const idle = nowUs - this.idleUs
      const active = nowUs - this.activeUs
      for (const f of flows) {
        const x = f.exp
        if (x === null) continue
        for (let dir = 0; dir < 2; dir++) {
          if (x.v[X_PACKETS + dir] === 0) continue
          if (x.v[X_LAST_US + dir]! <= idle) {
            const fin = (x.v[X_FLAGS + dir]! & TCP_FIN_RST) !== 0
            this.emit(f, dir, fin ? END_OF_FLOW : END_IDLE)
          } else if (x.v[X_FIRST_US + dir]! <= active) this.emit(f, dir, END_ACTIVE)
        }
      }
      this.flush()
      for (const c of this.collectors) this.sendAll(c, c.encoder.refresh(this.nowMs))
    } catch {
      // Never into the capture; an encoder bug shows as missing records, not a stopped capture.
    }
  }

  flowRemoved(f: Flow, why: FlowRemoval, nowUs: number): void {
    if (this.closed) return
    try {
      this.clock(nowUs)
      for (let dir = 0; dir < 2; dir++)
        this.emit(f, dir, why === 'evicted' ? END_LACK_OF_RESOURCES : END_IDLE)
    } catch {
      // as in tick()
    }
  }

  /** End of the capture (file read, capture stopped): every flow, flowEndReason forced end. */
  finish(nowUs: number, flows: Iterable<Flow>): void {
    if (this.closed) return
    try {
      this.clock(nowUs)
      for (const f of flows) for (let dir = 0; dir < 2; dir++) this.emit(f, dir, END_FORCED)
      this.flush()
    } catch {
      // as in tick()
    }
  }

  private clock(nowUs: number): void {
    const ms = Math.floor(nowUs / 1000)
    if (this.nowMs < 0) {
      for (const c of this.collectors) c.encoder.setBoot(ms - BOOT_MARGIN_MS)
    }
    if (ms > this.nowMs) this.nowMs = ms
  }

  private emit(f: Flow, dir: number, endReason: number): void {
    const x = f.exp
    if (x === null || x.v[X_PACKETS + dir] === 0) return
    const ab = dir === 0
    this.pending.push({
      ipVersion: x.ipVersion,
      src: ab ? x.addrA : x.addrB,
      dst: ab ? x.addrB : x.addrA,
      srcPort: (ab ? f.portA : f.portB) ?? 0,
      dstPort: (ab ? f.portB : f.portA) ?? 0,
      proto: x.proto,
      octets: x.v[X_OCTETS + dir]!,
      packets: x.v[X_PACKETS + dir]!,
      tcpFlags: x.v[X_FLAGS + dir]!,
      startMs: Math.floor(x.v[X_FIRST_US + dir]! / 1000),
      endMs: Math.floor(x.v[X_LAST_US + dir]! / 1000),
      endReason,
    })
    x.clear(dir)
    if (this.pending.length >= MAX_PENDING_RECORDS) this.flush()
  }

  private flush(): void {
    const records = this.pending
    if (records.length === 0) return
    this.pending = []
    this.records += records.length
    for (const c of this.collectors) {
      c.records += records.length
      for (const m of c.encoder.encode(records, this.nowMs)) this.sendOne(c, m)
    }
  }

  private sendAll(c: Collector, m: Buffer | null): void {
    if (m) this.sendOne(c, m)
  }

  private sendOne(c: Collector, m: Buffer): void {
    c.messages++
    c.transport.send(m)
  }

  stats(): FlowExportStats {
    const collectors = this.collectors.map((c) => ({
      url: c.spec.url,
      records: c.records,
      messages: c.messages,
      ...c.transport.stats,
    }))
    const sum = (k: 'messagesSent' | 'bytesSent' | 'sendErrors' | 'dropped') =>
      collectors.reduce((n, c) => n + c[k], 0)
    return {
      records: this.records,
      messagesSent: sum('messagesSent'),
      bytesSent: sum('bytesSent'),
      sendErrors: sum('sendErrors'),
      dropped: sum('dropped'),
      collectors,
    }
  }

  /** Messages still queued or in flight, over all collectors. */
  pendingMessages(): number {
    return this.collectors.reduce((n, c) => n + c.transport.pending(), 0)
  }

  /** Waits (at most timeoutMs) for queued messages to leave, then closes the sockets. */
  async close(timeoutMs = 2000): Promise<void> {
    const until = Date.now() + timeoutMs
    // Send callbacks (statistics) run on a later turn even for datagrams that left at once.
    await new Promise((r) => setImmediate(r))
    while (this.pendingMessages() > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 5))
    this.closed = true
    for (const c of this.collectors) c.transport.close()
  }
}
