/**
 * The capture core: decode each frame, count it in the interface totals and its conversation,
 * keep iftop windows and TCP analysis. Driven only by capture timestamps, so replaying a file
 * and capturing live give the same numbers. See flows/README.md for the counting rules.
 */
import type {
  BusiestSeries,
  CaptureSnapshot,
  ConversationRecord,
  PacketBytes,
} from '../../../common/capture'
import { formatAddress } from '../decode/address'
import { decodeFrame } from '../decode/frame'
import { isSupportedLinkType, linkTypeName } from '../decode/linktypes'
import {
  DecodeScratch,
  FRAG_NONE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  KIND_IP,
  KIND_MALFORMED,
} from '../decode/scratch'
import { DIR_AB, DIR_BA, ExportCounters, Flow } from './flow'
import { FragmentMap } from './fragments'
import { FlowTable, KEY_WORDS, hashKey } from './table'
import { TcpState } from './tcp'
import { RING_S, pairRate, rollRing, windowDivisor, windowPeak, windowSum } from './windows'

export class UnsupportedLinkTypeError extends Error {
  constructor(readonly linkType: number) {
    super(`unsupported link type ${linkType} (${linkTypeName(linkType)})`)
    this.name = 'UnsupportedLinkTypeError'
  }
}

export interface AggregatorOptions {
  /** pcap LINKTYPE_ number of the source. */
  linkType: number
  /** Most flows kept at once (default 100 000, at most 2 000 000); when full, the least recently seen is evicted. */
  maxFlows?: number
  /** A flow with no packet for this long (capture time) is expired. Default 300 s. */
  idleTimeoutS?: number
  /** Called with the final record of every evicted or expired flow (and the flow itself). */
  onFlowEnd?: (rec: ConversationRecord, flow: Flow) => void
  /**
   * IPv4/IPv6 non-first fragments carry no ports. false (default, as tshark with IP reassembly
   * off): they count in the portless conversation of their protocol and address pair, and the
   * first fragment in the 5-tuple conversation. true: they count in their datagram's 5-tuple
   * conversation when its first fragment was seen (all the datagram's bytes in one place).
   */
  mapFragments?: boolean
}

/** Why a flow left the table, for the flow exporter's flowEndReason. */
export type FlowRemoval = 'expired' | 'evicted'

/**
 * A flow exporter (flowexport/) fed by the aggregator on capture time: flows carry
 * ExportCounters while one is attached.
 */
export interface FlowExportSink {
  /** Once per capture second, with every flow in the table. */
  tick(nowUs: number, flows: Iterable<Flow>): void
  /** A flow leaves the table: report what it has left. */
  flowRemoved(f: Flow, why: FlowRemoval, nowUs: number): void
  /** End of the capture: report every flow. */
  finish(nowUs: number, flows: Iterable<Flow>): void
}

/** Default number of conversations in a snapshot. */
export const DEFAULT_TOP = 100
export const DEFAULT_MAX_FLOWS = 100_000
export const DEFAULT_IDLE_TIMEOUT_S = 300
/** The table's storage is allocated up front (~70 B per slot): cap what a caller may ask for. */
export const MAX_FLOWS_LIMIT = 2_000_000

/** Protocol names by IP protocol number: tcp/udp/icmp/icmpv6, else the number as text. */
const PROTO_NAMES: string[] = Array.from({ length: 256 }, (_, p) =>
  p === IPPROTO_TCP
    ? 'tcp'
    : p === IPPROTO_UDP
      ? 'udp'
      : p === IPPROTO_ICMP
        ? 'icmp'
        : p === IPPROTO_ICMPV6
          ? 'icmpv6'
          : String(p),
)

export class Aggregator {
  readonly linkType: number
  private readonly maxFlows: number
  private readonly idleUs: number
  private readonly onFlowEnd: ((rec: ConversationRecord, flow: Flow) => void) | undefined
  private readonly s = new DecodeScratch()
  private readonly key = new Uint32Array(KEY_WORDS)
  private readonly table: FlowTable
  private readonly fragments: FragmentMap | null
  private exportSink: FlowExportSink | null = null

  private packets = 0
  private bytes = 0
  /** Per IP protocol number. */
  private readonly ipPackets = new Float64Array(256)
  private readonly ipBytes = new Float64Array(256)
  /** Non-IP labels and 'malformed'. */
  private readonly otherCounts = new Map<string, PacketBytes>()
  private readonly malformedCounts = new Map<string, number>()
  private malformedTotal = 0
  private evicted = 0
  private expired = 0
  /** Flows created so far: a new conversation shows when this moves (process attribution). */
  flowsCreated = 0
  /** TCP retransmissions of every flow so far (ended ones keep counting here). */
  private retransmissionsTotal = 0

  /** Capture clock: latest timestamp seen (µs) and its second; start second for divisors. */
  private nowUs = -1
  private nowSec = -1
  private startUs = -1
  private startSec = -1
  private readonly totalRing = new Float64Array(RING_S)
  private totalRingSec = -1
  private totalPeak = 0

  constructor(opts: AggregatorOptions) {
    if (!isSupportedLinkType(opts.linkType)) throw new UnsupportedLinkTypeError(opts.linkType)
    this.linkType = opts.linkType
    // Always a bounded table: non-numbers get the default, huge numbers the limit.
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS
    this.maxFlows = Number.isFinite(maxFlows)
      ? Math.min(Math.max(1, Math.floor(maxFlows)), MAX_FLOWS_LIMIT)
      : DEFAULT_MAX_FLOWS
    const idleS = opts.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S
    this.idleUs = idleS >= 0 ? idleS * 1e6 : DEFAULT_IDLE_TIMEOUT_S * 1e6
    this.onFlowEnd = opts.onFlowEnd
    this.fragments = opts.mapFragments ? new FragmentMap() : null
    this.table = new FlowTable(this.maxFlows)
  }

  /** Account one frame: captured bytes and its original length on the wire. Never throws. */
  add(tsUs: number, data: Uint8Array, wireLen: number): void {
    try {
      this.addFrame(tsUs, data, wireLen)
    } catch {
      // Defensive only: decoders are bounds-checked. Keep the capture going and say so.
      this.countMalformed('internal_error', 0)
    }
  }

  private addFrame(tsUs: number, data: Uint8Array, wireLen: number): void {
    // Whole µs and bytes whatever the source hands over (records cross a schema of integers).
    tsUs = tsUs >= 0 ? Math.floor(tsUs) : this.nowUs >= 0 ? this.nowUs : 0
    wireLen = wireLen >= 0 ? Math.floor(wireLen) : data.length
    const sec = Math.floor(tsUs / 1e6)
    if (tsUs > this.nowUs) this.moveClock(tsUs, sec)
    this.packets++
    this.bytes += wireLen
    if (sec > this.totalRingSec - RING_S)
      this.totalRing[sec % RING_S] = this.totalRing[sec % RING_S]! + wireLen

    const s = this.s
    const kind = decodeFrame(this.linkType, data, s, wireLen)
    if (kind !== KIND_IP) {
      if (kind === KIND_MALFORMED) this.countMalformed(s.reason, wireLen)
      else this.countOther(s.label, wireLen)
      return
    }
    this.ipPackets[s.proto] = this.ipPackets[s.proto]! + 1
    this.ipBytes[s.proto] = this.ipBytes[s.proto]! + wireLen

    if (s.fragment !== FRAG_NONE && this.fragments !== null) this.fragments.resolve(s, tsUs)
    const dir = this.flowFor(s, tsUs, sec)
    const f = this.current!
    f.count(dir, wireLen, tsUs, sec, this.startSec)
    if (this.exportSink !== null) {
      const ab = dir === DIR_AB
      ;(f.exp ??= new ExportCounters(
        s.ipVersion,
        s.proto,
        ab ? s.src : s.dst,
        ab ? s.dst : s.src,
      )).count(dir, s.ipLen, s.tcpFlags, tsUs)
    }
    this.table.touch(f)
    if (s.proto === IPPROTO_TCP && s.hasPorts && s.fragment === FRAG_NONE) {
      const tcp = (f.tcp ??= new TcpState())
      const before = tcp.retransmissions
      tcp.segment(dir, s.tcpFlags, s.seq, s.ack, s.window, s.payloadLen, tsUs)
      this.retransmissionsTotal += tcp.retransmissions - before
    }
  }

  /** Flow found or created by flowFor(). */
  private current: Flow | null = null
  /** The previous packet's flow and key (a one-entry cache in front of the table). */
  private lastFlow: Flow | null = null
  private readonly lastKey = new Uint32Array(KEY_WORDS)

  /** Find or create the packet's flow (left in this.current); returns its direction. */
  private flowFor(s: DecodeScratch, tsUs: number, sec: number): number {
    const k = this.key
    const src = s.src
    const dst = s.dst
    const ports = s.hasPorts
    // Canonical order: the smaller (address, port) endpoint first.
    let cmp = 0
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = src[i]! - dst[i]!
    if (cmp === 0 && ports) cmp = s.srcPort - s.dstPort
    const srcFirst = cmp <= 0
    const a = srcFirst ? src : dst
    const b = srcFirst ? dst : src
    k[0] = s.proto | (s.ipVersion << 8) | (ports ? 1 << 12 : 0)
    k[1] = a[0]!
    k[2] = a[1]!
    k[3] = a[2]!
    k[4] = a[3]!
    k[5] = b[0]!
    k[6] = b[1]!
    k[7] = b[2]!
    k[8] = b[3]!
    k[9] = ports ? (srcFirst ? (s.srcPort << 16) | s.dstPort : (s.dstPort << 16) | s.srcPort) : 0
    // Packets come in bursts per flow: try the previous packet's flow before hashing.
    let f = this.lastFlow
    if (f !== null && f.slot >= 0) {
      const lk = this.lastKey
      for (let i = 0; i < KEY_WORDS; i++) {
        if (lk[i] !== k[i]) {
          f = null
          break
        }
      }
      if (f !== null) {
        this.current = f
        return srcFirst === f.aIsKeyFirst ? DIR_AB : DIR_BA
      }
    }
    const hash = hashKey(k)
    f = this.table.find(k, hash)
    if (f === null) {
      if (this.table.size >= this.maxFlows) {
        this.evicted++
        this.endFlow(this.table.head!, this.nowSec, 'evicted')
      }
      this.flowsCreated++
      f = new Flow(
        PROTO_NAMES[s.proto]!,
        srcFirst,
        formatAddress(s.ipVersion, src),
        ports ? s.srcPort : null,
        formatAddress(s.ipVersion, dst),
        ports ? s.dstPort : null,
        tsUs,
        sec,
      )
      this.table.insert(f, k, hash)
    }
    this.lastKey.set(k)
    this.lastFlow = f
    this.current = f
    return srcFirst === f.aIsKeyFirst ? DIR_AB : DIR_BA
  }

  /** Move the capture clock forward to tsUs: roll the totals ring, expire idle flows. */
  private moveClock(tsUs: number, sec: number): void {
    if (this.startUs < 0) {
      this.startUs = tsUs
      this.startSec = sec
      this.totalRingSec = sec
    }
    this.nowUs = tsUs
    if (sec === this.nowSec) return
    this.nowSec = sec
    if (sec > this.totalRingSec) {
      const p = pairRate(this.totalRing, 0, this.totalRingSec, this.startSec)
      if (p > this.totalPeak) this.totalPeak = p
      rollRing(this.totalRing, 1, this.totalRingSec, sec)
      this.totalRingSec = sec
    }
    // Once per capture second: expire flows idle longer than the timeout (LRU head first).
    const limit = tsUs - this.idleUs
    for (let f = this.table.head; f !== null && f.lastUs < limit; f = this.table.head) {
      this.expired++
      // Its record is as of the moment it went idle, however late a packet or tick noticed it.
      this.endFlow(f, Math.floor((f.lastUs + this.idleUs) / 1e6), 'expired')
    }
    this.exportSink?.tick(tsUs, this.table)
  }

  /** Remove f and report its record with rates as of capture second atSec. */
  private endFlow(f: Flow, atSec: number, why: FlowRemoval): void {
    this.table.remove(f)
    if (f.exp !== null) this.exportSink?.flowRemoved(f, why, this.nowUs)
    if (this.onFlowEnd) {
      const rec = f.record(Math.min(atSec, this.nowSec), this.startSec)
      try {
        this.onFlowEnd(rec, f)
      } catch {
        // A failing consumer must not break packet accounting.
      }
    }
  }

  private countMalformed(reason: string, wireLen: number): void {
    this.malformedTotal++
    this.malformedCounts.set(reason, (this.malformedCounts.get(reason) ?? 0) + 1)
    this.countOther('malformed', wireLen)
  }

  private countOther(label: string, wireLen: number): void {
    const c = this.otherCounts.get(label)
    if (c) {
      c.packets++
      c.bytes += wireLen
    } else {
      this.otherCounts.set(label, { packets: 1, bytes: wireLen })
    }
  }

  /** Feed a flow exporter from now on (attach before the first packet to export everything). */
  attachExport(sink: FlowExportSink): void {
    this.exportSink = sink
  }

  /** End of capture: the exporter reports every flow still in the table. */
  finishExport(): void {
    this.exportSink?.finish(Math.max(0, this.nowUs), this.table)
  }

  /** Move windows and expiry to nowUs (live ticks without packets; end of a file). */
  advance(nowUs: number): void {
    nowUs = Math.floor(nowUs)
    if (nowUs > this.nowUs) this.moveClock(nowUs, Math.floor(nowUs / 1e6))
  }

  /** Interface totals, health and the top conversations (by s10 rate, then bytes). */
  snapshot(top = DEFAULT_TOP): CaptureSnapshot {
    const nowSec = this.nowSec
    const startSec = this.startSec
    const byProtocol: Record<string, PacketBytes> = {}
    for (let p = 0; p < 256; p++) {
      if (this.ipPackets[p]! > 0)
        byProtocol[PROTO_NAMES[p]!] = { packets: this.ipPackets[p]!, bytes: this.ipBytes[p]! }
    }
    for (const [label, c] of this.otherCounts)
      byProtocol[label] = { packets: c.packets, bytes: c.bytes }
    const totalRate = (w: number): number => {
      const div = windowDivisor(startSec, nowSec, w)
      return div > 0 ? windowSum(this.totalRing, 0, this.totalRingSec, nowSec, w) / div : 0
    }
    let peakEver = this.totalPeak
    if (this.totalRingSec >= 0 && this.totalRingSec < nowSec) {
      peakEver = Math.max(peakEver, pairRate(this.totalRing, 0, this.totalRingSec, startSec))
    }
    const peak =
      this.totalRingSec >= 0
        ? windowPeak(this.totalRing, 0, this.totalRingSec, nowSec, startSec)
        : 0
    return {
      time_us: Math.max(0, this.nowUs),
      start_us: this.startUs >= 0 ? this.startUs : null,
      link_type: this.linkType,
      link_type_name: linkTypeName(this.linkType),
      packets: this.packets,
      bytes: this.bytes,
      by_protocol: byProtocol,
      rates_bps: { s2: totalRate(2), s10: totalRate(10), s40: totalRate(40) },
      peak_bps: peak,
      peak_ever_bps: peakEver,
      malformed: this.malformed(),
      malformed_total: this.malformedTotal,
      flows_active: this.table.size,
      flows_evicted: this.evicted,
      flows_expired: this.expired,
      conversations: this.top(Math.max(0, Math.floor(top))),
      retransmissions_total: this.retransmissionsTotal,
    }
  }

  /**
   * The n busiest hosts and conversations by 2 s rate (both directions) over the whole table.
   * Walks only the flows seen in the last few seconds (the most recent prefix of the table):
   * older ones have nothing in the 2 s window.
   */
  busiest(n: number): BusiestSeries {
    const nowSec = this.nowSec
    const startSec = this.startSec
    const oldestSec = nowSec - 4
    const hosts = new Map<string, number>()
    const convs: { f: Flow; bps: number }[] = []
    for (const f of this.recent()) {
      if (Math.floor(f.lastUs / 1e6) < oldestSec) break
      const bps = f.rate(DIR_AB, nowSec, startSec, 2) + f.rate(DIR_BA, nowSec, startSec, 2)
      if (bps <= 0) continue
      hosts.set(f.addressA, (hosts.get(f.addressA) ?? 0) + bps)
      if (f.addressB !== f.addressA) hosts.set(f.addressB, (hosts.get(f.addressB) ?? 0) + bps)
      convs.push({ f, bps })
    }
    const k = Math.max(0, Math.floor(n))
    convs.sort((x, y) => y.bps - x.bps)
    return {
      hosts: [...hosts]
        .sort((x, y) => y[1] - x[1])
        .slice(0, k)
        .map(([address, bps]) => ({ address, bps })),
      conversations: convs.slice(0, k).map(({ f, bps }) => ({
        protocol: f.protocol as ConversationRecord['protocol'],
        address_a: f.addressA,
        port_a: f.portA,
        address_b: f.addressB,
        port_b: f.portB,
        bps,
      })),
    }
  }

  /** The n best flows by (s10 rate, bytes, earliest first), without sorting the whole table. */
  private top(n: number): ConversationRecord[] {
    if (n === 0) return []
    const nowSec = this.nowSec
    const startSec = this.startSec
    // Kept sorted best first; most flows lose against the current n-th and cost one compare.
    const best: { f: Flow; score: number; bytes: number }[] = []
    const better = (
      x: { f: Flow; score: number; bytes: number },
      y: { f: Flow; score: number; bytes: number },
    ) =>
      x.score !== y.score
        ? x.score > y.score
        : x.bytes !== y.bytes
          ? x.bytes > y.bytes
          : x.f.firstUs < y.f.firstUs
    for (const f of this.table) {
      const e = { f, score: f.score(nowSec, startSec), bytes: f.bytesAB + f.bytesBA }
      if (best.length === n && !better(e, best[n - 1]!)) continue
      let lo = 0
      let hi = best.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (better(e, best[mid]!)) hi = mid
        else lo = mid + 1
      }
      best.splice(lo, 0, e)
      if (best.length > n) best.pop()
    }
    return best.map((e) => e.f.record(nowSec, startSec))
  }

  /** Flows in the table, most recently seen first (those seen since a moment form a prefix). */
  *recent(): IterableIterator<Flow> {
    for (let f = this.table.tail; f !== null; f = f.prev) yield f
  }

  /** Every flow still in the table, in order of first appearance. */
  conversations(): ConversationRecord[] {
    const flows = [...this.table]
    flows.sort((x, y) => x.firstUs - y.firstUs)
    return flows.map((f) => f.record(this.nowSec, this.startSec))
  }

  malformed(): Record<string, number> {
    return Object.fromEntries(this.malformedCounts)
  }
}
