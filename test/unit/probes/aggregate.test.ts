import { describe, expect, it } from 'vitest'
import type { ProbeResult } from '../../../common/probes'
import { ProbeAggregator } from '../../../electron/engine/probes/aggregate'
import { computeStats } from '../../../electron/shared/probes/stats'

const res = (seq: number, rtt: number | null): ProbeResult => ({
  target: 'icmp://h',
  kind: 'icmp',
  seq,
  sent_at: '2026-01-01T00:00:00.000Z',
  rtt_ms: rtt,
  status: rtt === null ? 'timeout' : 'ok',
})

describe('ProbeAggregator', () => {
  it('splits a run into periods whose sums merge back to the run statistics', () => {
    const all = [res(0, 10), res(1, null), res(2, 14), res(3, 11), res(4, null), res(5, 15)]
    const agg = new ProbeAggregator()
    agg.add([all[1]!, all[0]!, all[2]!]) // out of order within a batch
    const p1 = agg.take()[0]!
    agg.add(all.slice(3))
    const p2 = agg.take()[0]!
    expect(agg.take()).toEqual([])
    expect(p1).toMatchObject({
      sent: 3,
      received: 2,
      rtt_sum_ms: 24,
      rtt_min_ms: 10,
      rtt_max_ms: 14,
      jitter_sum_ms: 4,
      jitter_count: 1,
    })
    // The pair (14, 11) straddles the periods and is counted once, in the second.
    expect(p2).toMatchObject({
      sent: 3,
      received: 2,
      rtt_sum_ms: 26,
      jitter_sum_ms: 3 + 4,
      jitter_count: 2,
    })

    const run = computeStats('icmp://h', 'icmp', all)
    const n = p1.rtt_count + p2.rtt_count
    const sum = p1.rtt_sum_ms + p2.rtt_sum_ms
    const sumsq = p1.rtt_sumsq_ms2 + p2.rtt_sumsq_ms2
    expect(sum / n).toBeCloseTo(run.rtt_ms.avg!, 12)
    expect(Math.sqrt((sumsq - (sum * sum) / n) / (n - 1))).toBeCloseTo(run.rtt_ms.stddev!, 12)
    expect((p1.jitter_sum_ms + p2.jitter_sum_ms) / (p1.jitter_count + p2.jitter_count)).toBeCloseTo(
      run.jitter_ms.mean!,
      12,
    )
    expect(100 * (1 - (p1.received + p2.received) / (p1.sent + p2.sent))).toBeCloseTo(
      run.loss_pct,
      12,
    )
  })
})
