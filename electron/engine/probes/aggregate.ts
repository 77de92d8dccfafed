import type { ProbeResult } from '../../../common/probes'
import type { ProbeSums } from '../../shared/store/writer'

/** Additive aggregates of one target's results over a period: the store's probe sums. */
export type ProbeAggregate = ProbeSums

/**
 * Folds results into per-target aggregates, one period at a time. Within a batch results are
 * taken in seq order; the last reply's RTT carries over to the next period so the jitter pair
 * that straddles a period boundary is counted once. (A reply that arrives in a later batch than
 * a newer probe's is paired in arrival order there: at most one pair per such straggler.)
 */
export class ProbeAggregator {
  private readonly lastRtt = new Map<string, number>()
  private current = new Map<string, ProbeAggregate>()

  add(results: readonly ProbeResult[]): void {
    for (const r of [...results].sort((a, b) => a.seq - b.seq)) {
      let a = this.current.get(r.target)
      if (!a) {
        a = {
          kind: r.kind,
          target: r.target,
          sent: 0,
          received: 0,
          rtt_count: 0,
          rtt_sum_ms: 0,
          rtt_sumsq_ms2: 0,
          rtt_min_ms: null,
          rtt_max_ms: null,
          jitter_sum_ms: 0,
          jitter_count: 0,
        }
        this.current.set(r.target, a)
      }
      a.sent++
      if (r.status !== 'ok' || r.rtt_ms === null) continue
      const rtt = r.rtt_ms
      a.received++
      a.rtt_count++
      a.rtt_sum_ms += rtt
      a.rtt_sumsq_ms2 += rtt * rtt
      a.rtt_min_ms = a.rtt_min_ms === null ? rtt : Math.min(a.rtt_min_ms, rtt)
      a.rtt_max_ms = a.rtt_max_ms === null ? rtt : Math.max(a.rtt_max_ms, rtt)
      const prev = this.lastRtt.get(r.target)
      if (prev !== undefined) {
        a.jitter_sum_ms += Math.abs(rtt - prev)
        a.jitter_count++
      }
      this.lastRtt.set(r.target, rtt)
    }
  }

  /** The aggregates since the last take(), one per target that had results; starts a new period. */
  take(): ProbeAggregate[] {
    const out = [...this.current.values()]
    this.current = new Map()
    return out
  }
}
