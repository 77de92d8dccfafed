import type { ProbeKind, ProbeResult, ProbeStats } from '../../../common/probes'

/** Counters a prober keeps that results alone cannot show. */
export interface ReplyCounters {
  late: number
  duplicates: number
}

/** Linear-interpolated percentile (numpy's default, "type 7") of sorted values; q in [0, 1]. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, n - 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/**
 * Statistics over a set of results of one target. Results may arrive out of order (several
 * probes in flight); jitter pairs consecutive replies in send order (by seq), skipping losses,
 * as mtr does. Timeouts and errors count as sent but never contribute an RTT.
 */
export function computeStats(
  target: string,
  kind: ProbeKind,
  results: readonly ProbeResult[],
  counters: ReplyCounters = { late: 0, duplicates: 0 },
): ProbeStats {
  const ordered = [...results].sort((a, b) => a.seq - b.seq)
  const rtts: number[] = []
  const phaseSums = new Map<string, { sum: number; n: number }>()
  let jitterSum = 0
  let jitterMax: number | null = null
  let jitterPairs = 0
  let rfc3550 = 0
  let prev: number | null = null
  for (const r of ordered) {
    if (r.status !== 'ok' || r.rtt_ms === null) continue
    rtts.push(r.rtt_ms)
    if (prev !== null) {
      const d = Math.abs(r.rtt_ms - prev)
      jitterSum += d
      jitterPairs++
      jitterMax = jitterMax === null ? d : Math.max(jitterMax, d)
      rfc3550 += (d - rfc3550) / 16
    }
    prev = r.rtt_ms
    for (const [phase, ms] of Object.entries(r.phases_ms ?? {})) {
      const acc = phaseSums.get(phase) ?? { sum: 0, n: 0 }
      acc.sum += ms
      acc.n++
      phaseSums.set(phase, acc)
    }
  }

  const sent = results.length
  const received = rtts.length
  const sorted = Float64Array.from(rtts).sort()
  let mean: number | null = null
  let stddev: number | null = null
  if (received > 0) {
    mean = rtts.reduce((s, x) => s + x, 0) / received
    const m = mean
    stddev =
      received > 1 ? Math.sqrt(rtts.reduce((s, x) => s + (x - m) ** 2, 0) / (received - 1)) : 0
  }
  const stats: ProbeStats = {
    target,
    kind,
    sent,
    received,
    loss_pct: sent === 0 ? 0 : (100 * (sent - received)) / sent,
    rtt_ms: {
      min: received ? sorted[0]! : null,
      avg: mean,
      max: received ? sorted[received - 1]! : null,
      stddev,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
    },
    jitter_ms: {
      mean: jitterPairs ? jitterSum / jitterPairs : null,
      max: jitterMax,
      rfc3550: jitterPairs ? rfc3550 : null,
    },
    late: counters.late,
    duplicates: counters.duplicates,
  }
  if (kind === 'http' || kind === 'https' || kind === 'dns') {
    stats.phases_ms = Object.fromEntries([...phaseSums].map(([k, v]) => [k, v.sum / v.n]))
  }
  return stats
}

/** Run statistics kept incrementally over replies folded in seq order (exact over the run). */
class RunStats {
  sent = 0
  received = 0
  sum = 0
  /** Welford's running mean and sum of squared deviations (for the sample stddev). */
  mean = 0
  m2 = 0
  min: number | null = null
  max: number | null = null
  prev: number | null = null
  jitterSum = 0
  jitterPairs = 0
  jitterMax: number | null = null
  rfc3550 = 0
  phases = new Map<string, { sum: number; n: number }>()

  add(r: ProbeResult): void {
    this.sent++
    if (r.status !== 'ok' || r.rtt_ms === null) return
    const x = r.rtt_ms
    this.received++
    this.sum += x
    const d = x - this.mean
    this.mean += d / this.received
    this.m2 += d * (x - this.mean)
    if (this.min === null || x < this.min) this.min = x
    if (this.max === null || x > this.max) this.max = x
    if (this.prev !== null) {
      const j = Math.abs(x - this.prev)
      this.jitterSum += j
      this.jitterPairs++
      this.jitterMax = this.jitterMax === null ? j : Math.max(this.jitterMax, j)
      this.rfc3550 += (j - this.rfc3550) / 16
    }
    this.prev = x
    for (const [phase, ms] of Object.entries(r.phases_ms ?? {})) {
      const acc = this.phases.get(phase)
      if (acc) {
        acc.sum += ms
        acc.n++
      } else this.phases.set(phase, { sum: ms, n: 1 })
    }
  }

  clone(): RunStats {
    const c = Object.assign(new RunStats(), this)
    c.phases = new Map([...this.phases].map(([k, v]) => [k, { ...v }]))
    return c
  }
}

/** Most results waiting for an earlier seq before they are folded anyway (a gap never fills). */
const MAX_REORDER = 4096

/**
 * One target's statistics with bounded memory, whatever the run's length:
 *  - the run: sent, received, loss, min / avg / max / stddev, jitter (mtr's mean and max, and
 *    RFC 3550) and phase means are exact over the whole run, kept incrementally. Results are
 *    folded in seq order (a short reorder buffer holds those that overtook an earlier probe
 *    still in flight), so jitter pairs consecutive replies in send order as mtr does;
 *  - run percentiles (p50 / p95 / p99) are over the newest `percentileN` replies, a ring
 *    (exact while the run has fewer replies), plus any still in the reorder buffer;
 *  - the window: the last `windowN` probes by seq.
 */
export class ProbeAccumulator {
  private readonly stats = new RunStats()
  private readonly rtts: Float64Array
  private rttCount = 0
  /** The newest folded results, for the window (trimmed to windowN in chunks). */
  private recent: ProbeResult[] = []
  private readonly pending = new Map<number, ProbeResult>()
  private nextSeq = 0
  counters: ReplyCounters = { late: 0, duplicates: 0 }

  constructor(
    readonly target: string,
    readonly kind: ProbeKind,
    readonly windowN = 60,
    readonly percentileN = 1024,
  ) {
    this.rtts = new Float64Array(Math.max(1, percentileN))
  }

  add(r: ProbeResult): void {
    if (r.seq < this.nextSeq) return this.fold(r) // behind a gap already skipped
    if (r.seq !== this.nextSeq) {
      this.pending.set(r.seq, r)
      if (this.pending.size > MAX_REORDER) this.skipTo(Math.min(...this.pending.keys()))
      return
    }
    this.fold(r)
    this.nextSeq++
    this.drain()
  }

  /** The next result expected is `seq` (a restarted worker continues there): fold what waits. */
  skipTo(seq: number): void {
    for (const r of this.sortedPending()) if (r.seq < seq) this.fold(r)
    for (const k of [...this.pending.keys()]) if (k < seq) this.pending.delete(k)
    if (seq > this.nextSeq) this.nextSeq = seq
    this.drain()
  }

  /** Probes with an outcome over the whole run. */
  get count(): number {
    return this.stats.sent + this.pending.size
  }

  run(): ProbeStats {
    const st = this.pending.size ? this.stats.clone() : this.stats
    const extra: number[] = []
    for (const r of this.sortedPending()) {
      st.add(r)
      if (r.status === 'ok' && r.rtt_ms !== null) extra.push(r.rtt_ms)
    }
    const n = Math.min(this.rttCount, this.rtts.length)
    const sorted = new Float64Array(n + extra.length)
    sorted.set(this.rtts.subarray(0, n))
    sorted.set(extra, n)
    sorted.sort()
    const stats: ProbeStats = {
      target: this.target,
      kind: this.kind,
      sent: st.sent,
      received: st.received,
      loss_pct: st.sent === 0 ? 0 : (100 * (st.sent - st.received)) / st.sent,
      rtt_ms: {
        min: st.min,
        avg: st.received ? st.sum / st.received : null,
        max: st.max,
        stddev:
          st.received === 0 ? null : st.received > 1 ? Math.sqrt(st.m2 / (st.received - 1)) : 0,
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99),
      },
      jitter_ms: {
        mean: st.jitterPairs ? st.jitterSum / st.jitterPairs : null,
        max: st.jitterMax,
        rfc3550: st.jitterPairs ? st.rfc3550 : null,
      },
      late: this.counters.late,
      duplicates: this.counters.duplicates,
    }
    if (this.kind === 'http' || this.kind === 'https' || this.kind === 'dns')
      stats.phases_ms = Object.fromEntries([...st.phases].map(([k, v]) => [k, v.sum / v.n]))
    return stats
  }

  window(): ProbeStats {
    const last = this.recent.concat(this.sortedPending()).slice(-this.windowN)
    return computeStats(this.target, this.kind, last)
  }

  private fold(r: ProbeResult): void {
    this.stats.add(r)
    if (r.status === 'ok' && r.rtt_ms !== null) {
      // A ring: the newest reply overwrites the oldest (order does not matter to percentiles).
      this.rtts[this.rttCount % this.rtts.length] = r.rtt_ms
      this.rttCount++
    }
    this.recent.push(r)
    if (this.recent.length >= 2 * this.windowN) this.recent = this.recent.slice(-this.windowN)
  }

  private drain(): void {
    for (let r = this.pending.get(this.nextSeq); r; r = this.pending.get(this.nextSeq)) {
      this.pending.delete(this.nextSeq)
      this.fold(r)
      this.nextSeq++
    }
  }

  private sortedPending(): ProbeResult[] {
    return [...this.pending.values()].sort((a, b) => a.seq - b.seq)
  }
}
