/**
 * The values alert rules watch, kept from the Monitor's events: each metric's series (labels +
 * latest value) and, for a series that is gone, why (interface vanished, capture or probe stopped).
 */
import type { AlertConfig, AlertMetric } from '../../../common/alerts'
import type { BusiestSeries, ConversationRecord } from '../../../common/capture'
import type { BandwidthTick, CaptureTick } from '../../../common/contract'
import type { ProbeTargetStats } from '../../../common/probes'
import { CaptureTotals, type TickDelta } from '../metrics/capture-totals'

export type Labels = Record<string, string>
export interface Sample {
  labels: Labels
  /** null: the series exists but has no value now (e.g. a probe with no replies has no RTT). */
  value: number | null
}

/** Most conversations and hosts per capture tick considered by rules (busiest first). */
const MAX_CONVERSATION_SERIES = 1000

/**
 * Busiest hosts and conversations each capture tick carries for rules on host or conversation
 * rates; the worker computes none while no rule watches them (the default rules do not).
 */
export const RULE_SERIES = 100

export function busiestWanted(config: AlertConfig): number {
  const whole: AlertMetric[] = ['host_bytes_per_second', 'conversation_bytes_per_second']
  return config.rules.some((r) => whole.includes(r.metric)) ? RULE_SERIES : 0
}

export const bothWays = (c: ConversationRecord): number =>
  c.rate_a_to_b_bps.s2 + c.rate_b_to_a_bps.s2

export class LiveSeries {
  private bandwidth: BandwidthTick | null = null
  private prevDrops = new Map<string, { time_ms: number; dropped: number }>()
  private dropRates = new Map<string, number>()
  /** The running capture's device, or null when none runs. */
  captureDevice: string | null = null
  lastCapture: CaptureTick | null = null
  lastCaptureDelta: TickDelta | null = null
  private readonly captureTotals = new CaptureTotals()
  probesActive = false
  probeStats = new Map<string, ProbeTargetStats>()

  onBandwidth(tick: BandwidthTick): void {
    const time_ms = Date.parse(tick.time)
    const seen = new Set<string>()
    for (const i of tick.interfaces) {
      seen.add(i.name)
      const prev = this.prevDrops.get(i.name)
      const dt = prev ? (time_ms - prev.time_ms) / 1000 : 0
      const d = prev ? i.rx_dropped - prev.dropped : 0
      this.dropRates.set(i.name, dt > 0 && d >= 0 ? d / dt : 0)
      this.prevDrops.set(i.name, { time_ms, dropped: i.rx_dropped })
    }
    for (const name of [...this.prevDrops.keys()])
      if (!seen.has(name)) {
        this.prevDrops.delete(name)
        this.dropRates.delete(name)
      }
    this.bandwidth = tick
  }

  onCaptureState(active: boolean, iface: string | null): void {
    if (!active || iface !== this.captureDevice) {
      this.lastCapture = null
      this.lastCaptureDelta = null
      this.captureTotals.restart()
    }
    this.captureDevice = active ? iface : null
  }

  onCaptureTick(tick: CaptureTick): void {
    if (this.captureDevice !== null && tick.iface !== this.captureDevice) return
    this.captureDevice = tick.iface
    this.lastCaptureDelta = this.captureTotals.add(tick)
    this.lastCapture = tick
  }

  onProbesState(active: boolean): void {
    this.probesActive = active
    if (!active) this.probeStats.clear()
  }

  onProbeStats(targets: readonly ProbeTargetStats[]): void {
    this.probeStats = new Map(targets.map((t) => [t.target, t]))
  }

  /** Every series of a metric now. */
  samples(metric: AlertMetric): Sample[] {
    switch (metric) {
      case 'interface_receive_bytes_per_second':
      case 'interface_transmit_bytes_per_second': {
        const rx = metric === 'interface_receive_bytes_per_second'
        return (this.bandwidth?.interfaces ?? []).map((i) => ({
          labels: { device: i.name },
          value: rx ? i.rx.current_bps : i.tx.current_bps,
        }))
      }
      case 'interface_receive_drops_per_second':
        return [...this.dropRates].map(([device, value]) => ({ labels: { device }, value }))
      case 'tcp_retransmissions_per_second':
      case 'tcp_retransmission_percent':
      case 'capture_drops_per_second': {
        const t = this.lastCaptureDelta
        if (!t || this.captureDevice === null) return []
        const labels = { device: t.device }
        if (t.dt_s <= 0) return [{ labels, value: null }]
        const d = t.delta
        const value =
          metric === 'tcp_retransmissions_per_second'
            ? d.retransmissions / t.dt_s
            : metric === 'capture_drops_per_second'
              ? (d.dropped_kernel + d.dropped_interface) / t.dt_s
              : d.tcp_packets > 0
                ? (100 * d.retransmissions) / d.tcp_packets
                : 0
        return [{ labels, value }]
      }
      case 'conversation_bytes_per_second':
        return this.conversationRates().map((c) => ({
          labels: {
            device: this.captureDevice!,
            protocol: c.protocol,
            address_a: c.address_a,
            port_a: c.port_a === null ? '' : String(c.port_a),
            address_b: c.address_b,
            port_b: c.port_b === null ? '' : String(c.port_b),
          },
          value: c.bps,
        }))
      case 'host_bytes_per_second':
        return this.hostRates().map(({ address, bps }) => ({
          labels: { device: this.captureDevice!, address },
          value: bps,
        }))
      case 'probe_rtt_avg_ms':
      case 'probe_rtt_p95_ms':
      case 'probe_loss_percent':
      case 'probe_jitter_ms':
        return [...this.probeStats.values()].map((t) => {
          const w = t.window
          const value =
            metric === 'probe_rtt_avg_ms'
              ? w.rtt_ms.avg
              : metric === 'probe_rtt_p95_ms'
                ? w.rtt_ms.p95
                : metric === 'probe_jitter_ms'
                  ? w.jitter_ms.mean
                  : w.sent > 0
                    ? w.loss_pct
                    : null
          return { labels: { target: t.target, kind: w.kind }, value }
        })
    }
  }

  /** Why a series of this metric with these labels is gone. */
  absentReason(metric: AlertMetric, labels: Labels): string {
    if (metric.startsWith('interface_')) return `interface ${labels.device} vanished`
    if (metric.startsWith('probe_'))
      return this.probesActive ? `probe ${labels.target} is no longer run` : 'probes stopped'
    if (this.captureDevice === null) return 'capture stopped'
    if (labels.device !== this.captureDevice)
      return `capture moved from ${labels.device} to ${this.captureDevice}`
    return metric === 'host_bytes_per_second'
      ? `host ${labels.address} is no longer among the captured conversations`
      : 'conversation ended or left the captured top list'
  }

  /**
   * Conversations by 2 s rate: the worker's busiest over the whole table (`busiest`), else
   * (an engine without it) the tick's top list.
   */
  private conversationRates(): BusiestSeries['conversations'] {
    if (!this.lastCapture || this.captureDevice === null) return []
    const s = this.lastCapture.snapshot
    if (s.busiest) return s.busiest.conversations.slice(0, MAX_CONVERSATION_SERIES)
    return s.conversations
      .slice(0, MAX_CONVERSATION_SERIES)
      .map((c) => ({ ...c, bps: bothWays(c) }))
  }

  /**
   * Hosts by 2 s rate summed over every conversation they are in (the worker's `busiest`);
   * without it, summed over the tick's top list.
   */
  private hostRates(): BusiestSeries['hosts'] {
    if (!this.lastCapture || this.captureDevice === null) return []
    const s = this.lastCapture.snapshot
    if (s.busiest) return s.busiest.hosts.slice(0, MAX_CONVERSATION_SERIES)
    const hosts = new Map<string, number>()
    for (const c of s.conversations.slice(0, MAX_CONVERSATION_SERIES)) {
      hosts.set(c.address_a, (hosts.get(c.address_a) ?? 0) + bothWays(c))
      if (c.address_b !== c.address_a)
        hosts.set(c.address_b, (hosts.get(c.address_b) ?? 0) + bothWays(c))
    }
    return [...hosts].map(([address, bps]) => ({ address, bps }))
  }
}
