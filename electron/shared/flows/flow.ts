/**
 * One conversation's state. Allocated once per new flow (addresses are materialised as text
 * here, never per packet); updated in place for every packet.
 */
import type { ConversationRecord } from '../../../common/capture'
import type { TcpState } from './tcp'
import { RING_S, pairRate, windowDivisor, windowPeak, windowSum } from './windows'

/** Read-only stand-in ring for flows that have not needed their own yet. */
const SCRATCH_RING = new Float64Array(2 * RING_S)

/** Counts as of a flow's last history delta. */
export interface ReportedMark {
  packetsAB: number
  bytesAB: number
  packetsBA: number
  bytesBA: number
  retransmissions: number
  lastUs: number
  rtt: boolean
}

export const DIR_AB = 0
export const DIR_BA = 1

export class Flow {
  /** Index of this flow's key in the table's key store; -1 once removed. */
  slot = -1
  hash = 0
  /** Doubly linked LRU list (head = least recently seen). */
  prev: Flow | null = null
  next: Flow | null = null

  packetsAB = 0
  bytesAB = 0
  packetsBA = 0
  bytesBA = 0
  firstUs: number
  lastUs: number

  /**
   * Per-second bytes, A→B in [0, RING_S), B→A in [RING_S, 2 * RING_S). Allocated only once
   * the flow lives into a second second: until then (and for the single-packet flows of a
   * scan) the bytes of second ringSec are in oneSecAB / oneSecBA.
   */
  private ring: Float64Array | null = null
  private oneSecAB = 0
  private oneSecBA = 0
  /** Latest second held by ring. */
  ringSec: number
  /** Highest 2 s average ever seen per direction (sliding by 1 s), see windows.ts. */
  peakEverAB = 0
  peakEverBA = 0

  /** TCP analysis (tcp.ts), created with the first TCP segment. */
  tcp: TcpState | null = null

  /** What was last reported of this flow as a history delta (capture/pipeline.ts FlowDeltas). */
  reported: ReportedMark | null = null

  /** Flow export (flowexport/): counters since the last exported record; null when not exporting. */
  exp: ExportCounters | null = null

  constructor(
    readonly protocol: string,
    /** True when endpoint A is the first endpoint of the canonical key. */
    readonly aIsKeyFirst: boolean,
    readonly addressA: string,
    readonly portA: number | null,
    readonly addressB: string,
    readonly portB: number | null,
    tsUs: number,
    sec: number,
  ) {
    this.firstUs = tsUs
    this.lastUs = tsUs
    this.ringSec = sec
  }

  /** Account one packet of `bytes` in direction dir at capture second sec. */
  count(dir: number, bytes: number, tsUs: number, sec: number, startSec: number): void {
    if (dir === DIR_AB) {
      this.packetsAB++
      this.bytesAB += bytes
    } else {
      this.packetsBA++
      this.bytesBA += bytes
    }
    if (tsUs > this.lastUs) this.lastUs = tsUs
    if (tsUs < this.firstUs) this.firstUs = tsUs
    let ring = this.ring
    if (ring === null) {
      if (sec === this.ringSec) {
        if (dir === DIR_AB) this.oneSecAB += bytes
        else this.oneSecBA += bytes
        return
      }
      ring = this.materialize()
    }
    if (sec > this.ringSec) {
      // ringSec is now complete: its 2 s average is a peak candidate.
      this.notePeak(startSec)
      rollRingPair(ring, this.ringSec, sec)
      this.ringSec = sec
    } else if (sec <= this.ringSec - RING_S) {
      return // older than the ring (badly out-of-order timestamp): cumulative only
    }
    const i = dir * RING_S + (sec % RING_S)
    ring[i] = ring[i]! + bytes
  }

  private materialize(): Float64Array {
    const ring = new Float64Array(2 * RING_S)
    const i = this.ringSec % RING_S
    ring[i] = this.oneSecAB
    ring[RING_S + i] = this.oneSecBA
    this.ring = ring
    return ring
  }

  /** The ring to read: the flow's own, or a shared scratch one built from the one-second sums. */
  private view(): Float64Array {
    if (this.ring !== null) return this.ring
    const v = SCRATCH_RING
    v.fill(0)
    const i = this.ringSec % RING_S
    v[i] = this.oneSecAB
    v[RING_S + i] = this.oneSecBA
    return v
  }

  private notePeak(startSec: number): void {
    const ring = this.view()
    const ab = pairRate(ring, DIR_AB, this.ringSec, startSec)
    const ba = pairRate(ring, DIR_BA, this.ringSec, startSec)
    if (ab > this.peakEverAB) this.peakEverAB = ab
    if (ba > this.peakEverBA) this.peakEverBA = ba
  }

  /** Bytes/s over the last w complete seconds before nowSec, direction dir. */
  rate(dir: number, nowSec: number, startSec: number, w: number): number {
    const div = windowDivisor(startSec, nowSec, w)
    return div > 0 ? windowSum(this.view(), dir, this.ringSec, nowSec, w) / div : 0
  }

  /** iftop's peak: highest 2 s slot in the last 40 s. */
  peak(dir: number, nowSec: number, startSec: number): number {
    return windowPeak(this.view(), dir, this.ringSec, nowSec, startSec)
  }

  /** Highest 2 s average since the flow began (all complete seconds so far). */
  peakEver(dir: number, nowSec: number, startSec: number): number {
    const stored = dir === DIR_AB ? this.peakEverAB : this.peakEverBA
    if (this.ringSec >= nowSec) return stored
    const last = pairRate(this.view(), dir, this.ringSec, startSec)
    return last > stored ? last : stored
  }

  /** s10 both directions: the default ordering of the top list. */
  score(nowSec: number, startSec: number): number {
    const div = windowDivisor(startSec, nowSec, 10)
    if (div <= 0 || this.ringSec < nowSec - 10) return 0
    const ring = this.view()
    return (
      (windowSum(ring, 0, this.ringSec, nowSec, 10) +
        windowSum(ring, 1, this.ringSec, nowSec, 10)) /
      div
    )
  }

  record(nowSec: number, startSec: number): ConversationRecord {
    return {
      protocol: this.protocol,
      address_a: this.addressA,
      port_a: this.portA,
      address_b: this.addressB,
      port_b: this.portB,
      packets_a_to_b: this.packetsAB,
      bytes_a_to_b: this.bytesAB,
      packets_b_to_a: this.packetsBA,
      bytes_b_to_a: this.bytesBA,
      first_seen_us: this.firstUs,
      last_seen_us: this.lastUs,
      retransmissions: this.tcp?.retransmissions ?? 0,
      handshake_rtt_ms: this.tcp?.handshakeRttMs ?? null,
      out_of_order: this.tcp?.outOfOrder ?? 0,
      rate_a_to_b_bps: this.rates(DIR_AB, nowSec, startSec),
      rate_b_to_a_bps: this.rates(DIR_BA, nowSec, startSec),
      peak_a_to_b_bps: this.peak(DIR_AB, nowSec, startSec),
      peak_b_to_a_bps: this.peak(DIR_BA, nowSec, startSec),
      peak_ever_a_to_b_bps: this.peakEver(DIR_AB, nowSec, startSec),
      peak_ever_b_to_a_bps: this.peakEver(DIR_BA, nowSec, startSec),
    }
  }

  private rates(dir: number, nowSec: number, startSec: number) {
    return {
      s2: this.rate(dir, nowSec, startSec, 2),
      s10: this.rate(dir, nowSec, startSec, 10),
      s40: this.rate(dir, nowSec, startSec, 40),
    }
  }
}

function rollRingPair(ring: Float64Array, lastSec: number, sec: number): void {
  if (sec - lastSec >= RING_S) {
    ring.fill(0)
    return
  }
  for (let k = lastSec + 1; k <= sec; k++) {
    const i = k % RING_S
    ring[i] = 0
    ring[RING_S + i] = 0
  }
}

/** Offsets into ExportCounters.v; add the direction (DIR_AB 0, DIR_BA 1). */
export const X_PACKETS = 0
export const X_OCTETS = 2
export const X_FLAGS = 4
export const X_FIRST_US = 6
export const X_LAST_US = 8

/**
 * Per direction, what the flow exporter has not reported yet: packets, IP-layer octets (IPv4
 * total length, IPv6 payload length + 40, whatever the snap length), OR of TCP flags, first and
 * last packet time. The exporter reads and clears a direction when it emits its record.
 */
export class ExportCounters {
  readonly v = new Float64Array(10)
  /** Endpoint A's and B's address words (as DecodeScratch.src: IPv4 in word 0). */
  readonly addrA = new Uint32Array(4)
  readonly addrB = new Uint32Array(4)

  constructor(
    readonly ipVersion: number,
    readonly proto: number,
    a: Uint32Array,
    b: Uint32Array,
  ) {
    this.addrA.set(a)
    this.addrB.set(b)
  }

  count(dir: number, octets: number, flags: number, tsUs: number): void {
    const v = this.v
    if (v[X_PACKETS + dir] === 0) {
      v[X_FIRST_US + dir] = tsUs
      v[X_LAST_US + dir] = tsUs
    } else {
      if (tsUs > v[X_LAST_US + dir]!) v[X_LAST_US + dir] = tsUs
      if (tsUs < v[X_FIRST_US + dir]!) v[X_FIRST_US + dir] = tsUs
    }
    v[X_PACKETS + dir] = v[X_PACKETS + dir]! + 1
    v[X_OCTETS + dir] = v[X_OCTETS + dir]! + octets
    v[X_FLAGS + dir] = v[X_FLAGS + dir]! | flags
  }

  clear(dir: number): void {
    const v = this.v
    v[X_PACKETS + dir] = 0
    v[X_OCTETS + dir] = 0
    v[X_FLAGS + dir] = 0
  }
}
