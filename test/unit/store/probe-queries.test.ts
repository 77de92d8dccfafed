import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { queryAlerts, queryProbes } from '../../../electron/shared/store/probe-queries'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { int, rng, tempDir } from './helpers'

const S = 1_790_035_200 // 2026-09-22T00:00:00Z

describe('probe and alert history', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it('aggregates loss, RTT mean/min/max/stddev and jitter exactly, before and after rollup', () => {
    const path = `${tmp.dir}/p.db`
    let now_s = S + 3600
    const w = new HistoryWriter(openHistoryDb(path), path, {
      flush_ms: 0,
      now_ms: () => now_s * 1000,
    })
    const r = rng(7)
    const all: number[] = []
    let sent = 0
    let prev: number | null = null
    let jitter = 0
    for (let k = 0; k < 300; k++) {
      // One probe per 10 s over 50 minutes; one in five lost.
      const lost = r() < 0.2
      const rtt = int(r, 100, 9000) / 100
      sent++
      const sample = {
        time_us: (S + k * 10) * 1e6,
        kind: 'icmp',
        target: '192.0.2.7',
        sent: 1,
        received: lost ? 0 : 1,
        rtt_count: lost ? 0 : 1,
        rtt_sum_ms: lost ? 0 : rtt,
        rtt_sumsq_ms2: lost ? 0 : rtt * rtt,
        rtt_min_ms: lost ? null : rtt,
        rtt_max_ms: lost ? null : rtt,
        jitter_sum_ms: !lost && prev !== null ? Math.abs(rtt - prev) : 0,
        jitter_count: !lost && prev !== null ? 1 : 0,
      }
      if (!lost) {
        if (prev !== null) jitter += Math.abs(rtt - prev)
        prev = rtt
        all.push(rtt)
      }
      w.addProbe(sample)
    }
    w.addAlert({
      time_us: (S + 5) * 1e6,
      rule: 'loss>10%',
      severity: 'warning',
      message: '=loss high',
      value: 20,
    })
    w.addAlert({
      time_us: (S + 50) * 1e6,
      rule: 'rtt>50ms',
      severity: 'critical',
      message: 'slow',
      value: null,
    })
    w.flush()
    const mean = all.reduce((a, b) => a + b, 0) / all.length
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length)
    const want = {
      kind: 'icmp',
      target: '192.0.2.7',
      sent,
      received: all.length,
      loss_pct: Math.round(100_000 * (1 - all.length / sent)) / 1000,
      rtt_avg_ms: Math.round(mean * 1000) / 1000,
      rtt_min_ms: Math.min(...all),
      rtt_max_ms: Math.max(...all),
      rtt_stddev_ms: Math.round(sd * 1000) / 1000,
      jitter_ms: Math.round((jitter / (all.length - 1)) * 1000) / 1000,
    }
    const q = { from_s: S, to_s: S + 3600, bucket: null, kind: null, target: null }
    expect(queryProbes(w['db'], q).rows).toEqual([{ bucket_start: null, ...want }])
    // Days later everything lives in the 1 h and 1 d tiers: the same figures.
    now_s += 30 * 86400
    w.maintain()
    const later = queryProbes(w['db'], q)
    expect(later.meta.tier).toBe('1h')
    expect(later.rows).toEqual([{ bucket_start: null, ...want }])
    const hourly = queryProbes(w['db'], { ...q, bucket: '1h', kind: 'icmp', target: '192.0.2.7' })
    expect(hourly.rows).toHaveLength(1)
    expect(hourly.rows[0]).toMatchObject({ bucket_start: '2026-09-22T00:00:00.000000Z', sent })
    expect(queryProbes(w['db'], { ...q, target: 'nope' }).rows).toEqual([])

    expect(queryAlerts(w['db'], { from_s: S, to_s: S + 60, limit: 10 })).toEqual([
      {
        time: '2026-09-22T00:00:05.000000Z',
        rule: 'loss>10%',
        severity: 'warning',
        message: '=loss high',
        value: 20,
      },
      {
        time: '2026-09-22T00:00:50.000000Z',
        rule: 'rtt>50ms',
        severity: 'critical',
        message: 'slow',
        value: null,
      },
    ])
    expect(queryAlerts(w['db'], { from_s: S, to_s: S + 60, limit: 1 })).toHaveLength(1)
    w.close()
  })
})
