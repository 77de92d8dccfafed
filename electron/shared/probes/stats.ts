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

/**
 * Keeps one target's results in seq order and answers window (last `windowN` probes) and run
 * statistics. The run keeps the newest `cap` probes (100,000: a day at 1 s), trimmed in chunks so
 * memory stays bounded on an endless run.
 */
export class ProbeAccumulator {
  private results: ProbeResult[] = []
  private dropped = 0
  counters: ReplyCounters = { late: 0, duplicates: 0 }

  constructor(
    readonly target: string,
    readonly kind: ProbeKind,
    readonly windowN = 60,
    private readonly cap = 100_000,
  ) {}

  add(r: ProbeResult): void {
    // Results arrive almost in seq order (several probes may be in flight): insert from the end.
    let i = this.results.length
    while (i > 0 && this.results[i - 1]!.seq > r.seq) i--
    if (i === this.results.length) this.results.push(r)
    else this.results.splice(i, 0, r)
    if (this.results.length > this.cap * 1.1) {
      const cut = this.results.length - this.cap
      this.results.splice(0, cut)
      this.dropped += cut
    }
  }

  /** Probes seen over the whole run, including those trimmed from memory. */
  get count(): number {
    return this.results.length + this.dropped
  }

  run(): ProbeStats {
    return computeStats(this.target, this.kind, this.results.slice(-this.cap), this.counters)
  }

  window(): ProbeStats {
    return computeStats(this.target, this.kind, this.results.slice(-this.windowN), {
      late: 0,
      duplicates: 0,
    })
  }
}
