/**
 * nload-style per-interface bandwidth from kernel counters: current, average, min, max and total
 * per direction, plus a rate history for the graph.
 */
import type { BandwidthHistory, DirectionStats, InterfaceRates } from '../../../common/contract'
import type { InterfaceCounters } from '../sysnet/counters'

const TWO_POW_32 = 2 ** 32
/** Fastest rate believed when a link speed is unknown: 100 Gbit/s in bytes per second. */
const DEFAULT_MAX_BYTES_PER_S = 100e9 / 8

/**
 * Bytes (or packets) between two readings of a kernel counter.
 *
 * A counter that went down either wrapped (32-bit counters of some drivers) or was reset (the
 * interface was re-created). A wrap is believed only when the distance it implies is plausible
 * for the elapsed time; anything else is a reset and counts as 0, so a rate is never negative
 * or absurd. Forward jumps beyond the plausible maximum are treated the same way.
 */
export function counterDelta(prev: number, next: number, maxDelta: number): number {
  if (next >= prev) return next - prev <= maxDelta ? next - prev : 0
  if (prev < TWO_POW_32) {
    const wrapped = next + TWO_POW_32 - prev
    if (wrapped <= maxDelta) return wrapped
  }
  return 0
}

class Direction {
  total_bytes = 0
  total_packets = 0
  current_bps = 0
  min_bps = Infinity
  max_bps = 0

  add(bytes: number, packets: number, elapsed_s: number): void {
    this.total_bytes += bytes
    this.total_packets += packets
    this.current_bps = bytes / elapsed_s
    this.min_bps = Math.min(this.min_bps, this.current_bps)
    this.max_bps = Math.max(this.max_bps, this.current_bps)
  }

  stats(monitored_s: number): DirectionStats {
    return {
      current_bps: this.current_bps,
      average_bps: monitored_s > 0 ? this.total_bytes / monitored_s : 0,
      min_bps: Number.isFinite(this.min_bps) ? this.min_bps : 0,
      max_bps: this.max_bps,
      total_bytes: this.total_bytes,
      total_packets: this.total_packets,
    }
  }
}

/** Fixed-size ring of the most recent samples, oldest first when read. */
class Ring {
  private readonly values: number[] = []
  constructor(private readonly size: number) {}
  push(v: number): void {
    this.values.push(v)
    if (this.values.length > this.size) this.values.shift()
  }
  toArray(): number[] {
    return [...this.values]
  }
}

class InterfaceMeter {
  readonly rx = new Direction()
  readonly tx = new Direction()
  rx_dropped = 0
  monitored_s = 0
  readonly times: Ring
  readonly rxHistory: Ring
  readonly txHistory: Ring

  constructor(
    private last: InterfaceCounters,
    private lastMs: number,
    historyLength: number,
    private readonly maxBytesPerS: number,
  ) {
    this.times = new Ring(historyLength)
    this.rxHistory = new Ring(historyLength)
    this.txHistory = new Ring(historyLength)
  }

  update(c: InterfaceCounters, nowMs: number, time: string): void {
    const elapsed_s = (nowMs - this.lastMs) / 1000
    if (elapsed_s <= 0) return
    const maxBytes = this.maxBytesPerS * elapsed_s
    // At least 64 bytes per packet on Ethernet, so packets are bounded by bytes / 64 (and 1 per byte elsewhere).
    const maxPackets = maxBytes
    const p = this.last
    this.rx.add(
      counterDelta(p.rx_bytes, c.rx_bytes, maxBytes),
      counterDelta(p.rx_packets, c.rx_packets, maxPackets),
      elapsed_s,
    )
    this.tx.add(
      counterDelta(p.tx_bytes, c.tx_bytes, maxBytes),
      counterDelta(p.tx_packets, c.tx_packets, maxPackets),
      elapsed_s,
    )
    this.rx_dropped += counterDelta(p.rx_dropped, c.rx_dropped, maxPackets)
    this.monitored_s += elapsed_s
    this.last = c
    this.lastMs = nowMs
    this.times.push(Date.parse(time))
    this.rxHistory.push(this.rx.current_bps)
    this.txHistory.push(this.tx.current_bps)
  }

  rates(name: string): InterfaceRates {
    return {
      name,
      rx: this.rx.stats(this.monitored_s),
      tx: this.tx.stats(this.monitored_s),
      rx_dropped: this.rx_dropped,
      elapsed_s: this.monitored_s,
    }
  }
}

export interface SampleResult {
  rates: InterfaceRates[]
  appeared: string[]
  vanished: string[]
}

/**
 * Follows every interface the kernel lists. An interface that appears starts from a fresh
 * baseline; one that vanishes is dropped with its state, so if it comes back (with counters
 * restarted from 0) no delta is ever taken across the gap.
 */
export class BandwidthMeter {
  private readonly meters = new Map<string, InterfaceMeter>()

  constructor(
    private readonly historyLength = 300,
    /** Link speed in bytes/s per interface where known, to judge counter wraps. */
    private readonly linkBytesPerS: (name: string) => number | null = () => null,
  ) {}

  sample(counters: Map<string, InterfaceCounters>, nowMs: number, time: string): SampleResult {
    const appeared: string[] = []
    const vanished: string[] = []
    for (const name of this.meters.keys()) {
      if (!counters.has(name)) {
        this.meters.delete(name)
        vanished.push(name)
      }
    }
    for (const [name, c] of counters) {
      const meter = this.meters.get(name)
      if (meter) {
        meter.update(c, nowMs, time)
      } else {
        // Allow twice the link speed (full duplex bursts, rounding) before calling a jump absurd.
        const link = this.linkBytesPerS(name)
        const max = link ? Math.max(link * 2, 1e6) : DEFAULT_MAX_BYTES_PER_S
        this.meters.set(name, new InterfaceMeter(c, nowMs, this.historyLength, max))
        appeared.push(name)
      }
    }
    const rates = [...this.meters]
      .map(([name, m]) => m.rates(name))
      .sort((a, b) => a.name.localeCompare(b.name))
    return { rates, appeared, vanished }
  }

  history(tickMs: number): BandwidthHistory {
    const interfaces: BandwidthHistory['interfaces'] = {}
    for (const [name, m] of this.meters) {
      interfaces[name] = {
        times: m.times.toArray().map((t) => new Date(t).toISOString()),
        rx_bps: m.rxHistory.toArray(),
        tx_bps: m.txHistory.toArray(),
      }
    }
    return { tick_ms: tickMs, interfaces }
  }
}
