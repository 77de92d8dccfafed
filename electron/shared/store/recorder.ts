/**
 * The seam between the engine's per-tick data and the store.
 *
 * Conversations: the capture worker (and `capture --db`) computes each changed conversation's
 * delta where the packets are counted (shared/capture/pipeline.ts FlowDeltas) and the Recorder
 * files the deltas as they are (`deltas()`): nothing is remembered per conversation here, every
 * packet lands in exactly one bucket and rolled-up sums equal the capture's own totals.
 *
 * Callers that only have cumulative records (tests, imports of other tools' output) use
 * flowTick() / conversations() / conversationEnded(), which diff them against what was filed
 * (a bounded map, empty unless they use it; see docs/history.md):
 *  - pass every conversation that changed since the previous tick (not only a top-N list);
 *  - call conversationEnded() with the final record when a flow expires or is evicted, so its
 *    last packets are filed and its memory freed.
 */
import type { BandwidthTick } from '../../../common/contract'
import type { StoreFailure } from '../../../common/history'
import type {
  AlertEvent,
  ConversationDelta,
  ConversationTotals,
  HistoryWriter,
  InterfaceDelta,
  ProbeSample,
} from './writer'
import type { FlowDelta } from '../capture/pipeline'
import { ATTRIBUTION_FIELDS, type AttributionFields } from '../attribution'

interface Filed {
  first_seen_us: number
  last_seen_us: number
  packets_a_to_b: number
  bytes_a_to_b: number
  packets_b_to_a: number
  bytes_b_to_a: number
  retransmissions: number
  rtt_filed: boolean
}

/** Cumulative records, with who is talking when the capture attributes them. */
type Totals = ConversationTotals & AttributionFields

export const conversationKey = (c: ConversationTotals): string =>
  `${c.protocol}|${c.address_a}|${c.port_a ?? ''}|${c.address_b}|${c.port_b ?? ''}`

export interface RecorderOptions {
  /** Most conversations remembered; the least recently seen are forgotten beyond it. */
  max_conversations?: number
}

export class Recorder {
  /** Cumulative callers only: what was filed per conversation (see file()). */
  private readonly filed = new Map<string, Filed>()
  private readonly ifaceTotals = new Map<
    string,
    { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number; drops: number }
  >()
  private readonly max: number

  constructor(
    readonly writer: HistoryWriter,
    opts: RecorderOptions = {},
  ) {
    this.max = opts.max_conversations ?? 200_000
  }

  /** True while the store is accepting rows. */
  get recording(): boolean {
    return this.writer.state === 'open'
  }

  onFailure(listener: (f: StoreFailure) => void): () => void {
    return this.writer.onFailure(listener)
  }

  /** Per-interface deltas for one tick. */
  interfaces(deltas: readonly InterfaceDelta[]): void {
    for (const d of deltas) this.writer.addInterface(d)
  }

  /**
   * One 'bandwidth.tick' of the engine's Monitor (cumulative totals since monitoring began):
   * filed as the difference from the previous tick of each interface. A total that went down
   * (the monitor restarted, the interface was re-created) starts that interface over.
   */
  bandwidthTick(tick: BandwidthTick): void {
    const time_us = Date.parse(tick.time) * 1000
    if (!Number.isFinite(time_us)) return
    const seen = new Set<string>()
    for (const i of tick.interfaces) {
      seen.add(i.name)
      const now = {
        rx_bytes: i.rx.total_bytes,
        tx_bytes: i.tx.total_bytes,
        rx_packets: i.rx.total_packets,
        tx_packets: i.tx.total_packets,
        drops: i.rx_dropped,
      }
      const prev = this.ifaceTotals.get(i.name)
      this.ifaceTotals.set(i.name, now)
      const restarted =
        prev && (Object.keys(now) as (keyof typeof now)[]).some((k) => now[k] < prev[k])
      const base = prev && !restarted ? prev : null
      const d: InterfaceDelta = {
        time_us,
        name: i.name,
        rx_bytes: now.rx_bytes - (base?.rx_bytes ?? 0),
        tx_bytes: now.tx_bytes - (base?.tx_bytes ?? 0),
        rx_packets: now.rx_packets - (base?.rx_packets ?? 0),
        tx_packets: now.tx_packets - (base?.tx_packets ?? 0),
        drops: now.drops - (base?.drops ?? 0),
      }
      if (d.rx_bytes || d.tx_bytes || d.rx_packets || d.tx_packets || d.drops)
        this.writer.addInterface(d)
    }
    for (const name of this.ifaceTotals.keys()) if (!seen.has(name)) this.ifaceTotals.delete(name)
  }

  /**
   * One capture tick's conversation deltas (ended conversations first, so a 5-tuple that ended
   * and began again within the tick is filed as two flows), filed as they are. A delta that
   * moved nothing and brings no handshake RTT (a bare end mark) writes no row.
   */
  deltas(deltas: readonly FlowDelta[]): void {
    for (const d of deltas) {
      if (d.packets_a_to_b + d.packets_b_to_a === 0 && d.handshake_rtt_ms === null) continue
      this.writer.addConversation({ ...d, time_us: d.last_seen_us })
    }
  }

  /**
   * Cumulative records of one capture tick: the flows that ended since the previous tick (expired or evicted, final
   * records), then every active flow (Aggregator.conversations()). Ended flows go first so a
   * 5-tuple that was evicted and re-created in the same tick is filed as two flows.
   */
  flowTick(active: readonly Totals[], ended: readonly Totals[] = []): void {
    for (const r of ended) this.file(r, true)
    for (const r of active) this.file(r, false)
  }

  /** Cumulative records of some conversations (each must include every change since it was last passed). */
  conversations(records: readonly Totals[]): void {
    for (const r of records) this.file(r, false)
  }

  /** A flow left the table (idle expiry, eviction, end of file): file its last packets. */
  conversationEnded(record: Totals): void {
    this.file(record, true)
  }

  /** End of a capture: every conversation remembered for cumulative callers counts as ended. */
  reset(): void {
    this.filed.clear()
  }

  probe(sample: ProbeSample): void {
    this.writer.addProbe(sample)
  }

  alert(event: AlertEvent): void {
    this.writer.addAlert(event)
  }

  private file(r: Totals, ended: boolean): void {
    const key = conversationKey(r)
    let prev = this.filed.get(key)
    // Same 5-tuple but a new flow (recreated after eviction, or counters went back): start over.
    if (
      prev &&
      (prev.first_seen_us !== r.first_seen_us ||
        r.packets_a_to_b < prev.packets_a_to_b ||
        r.packets_b_to_a < prev.packets_b_to_a)
    ) {
      prev = undefined
    }
    const d: ConversationDelta = {
      time_us: r.last_seen_us,
      protocol: r.protocol,
      address_a: r.address_a,
      port_a: r.port_a,
      address_b: r.address_b,
      port_b: r.port_b,
      packets_a_to_b: r.packets_a_to_b - (prev?.packets_a_to_b ?? 0),
      bytes_a_to_b: r.bytes_a_to_b - (prev?.bytes_a_to_b ?? 0),
      packets_b_to_a: r.packets_b_to_a - (prev?.packets_b_to_a ?? 0),
      bytes_b_to_a: r.bytes_b_to_a - (prev?.bytes_b_to_a ?? 0),
      retransmissions: Math.max(0, r.retransmissions - (prev?.retransmissions ?? 0)),
      // The first packet of this delta is after the last one already filed.
      first_seen_us: prev ? Math.min(prev.last_seen_us + 1, r.last_seen_us) : r.first_seen_us,
      last_seen_us: r.last_seen_us,
      handshake_rtt_ms: prev?.rtt_filed ? null : r.handshake_rtt_ms,
    }
    // Who is talking, when the records carry it (the store keeps the latest known answer).
    for (const k of ATTRIBUTION_FIELDS) if (r[k] !== undefined) Object.assign(d, { [k]: r[k] })
    const moved = d.packets_a_to_b + d.packets_b_to_a > 0
    const rttNew = d.handshake_rtt_ms !== null
    if (moved || rttNew || !prev) this.writer.addConversation(d)
    if (ended) {
      this.filed.delete(key)
      return
    }
    this.filed.delete(key) // re-insert: Map order is least recently seen first
    this.filed.set(key, {
      first_seen_us: r.first_seen_us,
      last_seen_us: r.last_seen_us,
      packets_a_to_b: r.packets_a_to_b,
      bytes_a_to_b: r.bytes_a_to_b,
      packets_b_to_a: r.packets_b_to_a,
      bytes_b_to_a: r.bytes_b_to_a,
      retransmissions: Math.max(r.retransmissions, prev?.retransmissions ?? 0),
      rtt_filed: (prev?.rtt_filed ?? false) || rttNew,
    })
    if (this.filed.size > this.max) {
      const oldest = this.filed.keys().next().value
      if (oldest !== undefined) this.filed.delete(oldest)
    }
  }
}
