/**
 * Capture counters that survive capture restarts: each 'capture.tick' carries cumulative counts
 * of the running capture; this keeps the previous tick's and adds only the difference, starting
 * over when a new capture starts (or a count goes down), so totals never decrease.
 * Used by the Prometheus counters and by alert rules (per-tick rates).
 */
import type { ConversationRecord } from '../../../common/capture'
import type { CaptureTick } from '../../../common/contract'

export const CAPTURE_FIELDS = [
  'received',
  'dropped_kernel',
  'dropped_interface',
  'packets',
  'bytes',
  'tcp_packets',
  'malformed',
  'flows_evicted',
  'flows_expired',
  'retransmissions',
] as const
export type CaptureField = (typeof CAPTURE_FIELDS)[number]
export type CaptureCounts = Record<CaptureField, number>

const zero = (): CaptureCounts =>
  Object.fromEntries(CAPTURE_FIELDS.map((f) => [f, 0])) as CaptureCounts

/** Most conversations whose retransmission count is remembered (least recently seen go first). */
const MAX_CONVERSATIONS = 20_000

const convKey = (c: ConversationRecord): string =>
  `${c.protocol}|${c.address_a}|${c.port_a ?? ''}|${c.address_b}|${c.port_b ?? ''}|${c.first_seen_us}`

export interface TickDelta {
  device: string
  /** Capture time between this tick and the previous one, seconds (0 on a capture's first tick). */
  dt_s: number
  delta: CaptureCounts
}

export class CaptureTotals {
  /** Per device, since this process started (monotonic). */
  readonly totals = new Map<string, CaptureCounts>()
  /** Conversations flows_active reported by the last tick, per device. */
  readonly active = new Map<string, number>()
  private prev: { device: string; time_us: number; counts: CaptureCounts } | null = null
  private readonly retrans = new Map<string, number>()

  /** A capture started or stopped: the next tick begins a new baseline. */
  restart(): void {
    this.prev = null
    this.retrans.clear()
  }

  add(tick: CaptureTick): TickDelta {
    const s = tick.snapshot
    const device = tick.iface
    if (this.prev && this.prev.device !== device) this.restart()
    // The worker counts every conversation's retransmissions (retransmissions_total); an engine
    // without it lists only the top conversations, whose growth is the best there is.
    const whole = s.retransmissions_total
    let retransGrowth = 0
    for (const c of whole === undefined ? s.conversations : []) {
      if (c.protocol !== 'tcp') continue
      const key = convKey(c)
      const before = this.retrans.get(key)
      if (before !== undefined) this.retrans.delete(key)
      this.retrans.set(key, c.retransmissions)
      retransGrowth += Math.max(0, c.retransmissions - (before ?? 0))
    }
    while (this.retrans.size > MAX_CONVERSATIONS) {
      const oldest = this.retrans.keys().next().value
      if (oldest === undefined) break
      this.retrans.delete(oldest)
    }
    const now: CaptureCounts = {
      received: tick.health?.received ?? 0,
      dropped_kernel: tick.health?.dropped_kernel ?? 0,
      dropped_interface: tick.health?.dropped_interface ?? 0,
      packets: s.packets,
      bytes: s.bytes,
      tcp_packets: s.by_protocol.tcp?.packets ?? 0,
      malformed: s.malformed_total,
      flows_evicted: s.flows_evicted,
      flows_expired: s.flows_expired,
      retransmissions: whole ?? 0,
    }
    const base = this.prev?.counts
    const delta = zero()
    for (const f of CAPTURE_FIELDS) {
      if (f === 'retransmissions' && whole === undefined) continue
      const d = now[f] - (base?.[f] ?? 0)
      // A count that went down means a new capture: everything it has is new.
      delta[f] = d >= 0 ? d : now[f]
    }
    if (whole === undefined) delta.retransmissions = retransGrowth
    const dt_s = this.prev ? Math.max(0, (s.time_us - this.prev.time_us) / 1e6) : 0
    this.prev = { device, time_us: s.time_us, counts: now }
    const total = this.totals.get(device) ?? zero()
    for (const f of CAPTURE_FIELDS) total[f] += delta[f]
    this.totals.set(device, total)
    this.active.set(device, s.flows_active)
    return { device, dt_s, delta }
  }
}
