import { describe, expect, it } from 'vitest'
import type { ProbeResult } from '../../../common/probes'
import { ProbeAccumulator, computeStats, percentile } from '../../../electron/shared/probes/stats'

const res = (
  seq: number,
  rtt: number | null,
  status: ProbeResult['status'] = rtt === null ? 'timeout' : 'ok',
): ProbeResult => ({
  target: 'udp://x:7',
  kind: 'udp',
  seq,
  sent_at: new Date(seq * 1000).toISOString(),
  rtt_ms: rtt,
  status,
})

describe('computeStats', () => {
  it('matches a hand-computed sequence with timeouts', () => {
    // seq: 0=10, 1=timeout, 2=14, 3=11, 4=error, 5=15
    const rs = [res(0, 10), res(1, null), res(2, 14), res(3, 11), res(4, null, 'error'), res(5, 15)]
    const s = computeStats('udp://x:7', 'udp', rs)
    expect(s.sent).toBe(6)
    expect(s.received).toBe(4)
    expect(s.loss_pct).toBeCloseTo((2 / 6) * 100, 10)
    expect(s.rtt_ms.min).toBe(10)
    expect(s.rtt_ms.max).toBe(15)
    expect(s.rtt_ms.avg).toBe(12.5)
    // sample stddev: deviations -2.5, 1.5, -1.5, 2.5 → squares 6.25+2.25+2.25+6.25 = 17 / 3
    expect(s.rtt_ms.stddev).toBeCloseTo(Math.sqrt(17 / 3), 12)
    // sorted 10, 11, 14, 15 (type 7): p50 = 12.5, p95 = 14 + 0.85 = 14.85, p99 = 14.97
    expect(s.rtt_ms.p50).toBeCloseTo(12.5, 12)
    expect(s.rtt_ms.p95).toBeCloseTo(14.85, 12)
    expect(s.rtt_ms.p99).toBeCloseTo(14.97, 12)
    // jitter over consecutive replies, losses skipped: |14-10|=4, |11-14|=3, |15-11|=4
    expect(s.jitter_ms.mean).toBeCloseTo(11 / 3, 12)
    expect(s.jitter_ms.max).toBe(4)
    // RFC 3550: J=0 → 4/16=0.25 → 0.25+(3-0.25)/16=0.421875 → +(4-0.421875)/16=0.6455078125
    expect(s.jitter_ms.rfc3550).toBeCloseTo(0.6455078125, 12)
    expect(s.phases_ms).toBeUndefined()
  })

  it('orders by seq, not by arrival', () => {
    const inOrder = computeStats('t', 'udp', [res(0, 20), res(1, 25), res(2, 15)])
    const shuffled = computeStats('t', 'udp', [res(2, 15), res(0, 20), res(1, 25)])
    expect(shuffled).toEqual(inOrder)
    expect(inOrder.jitter_ms.mean).toBe(7.5) // |25-20|, |15-25|
  })

  it('gives nulls, not zeros, when nothing came back, and never counts a timeout as an RTT', () => {
    const s = computeStats('t', 'icmp', [res(0, null), res(1, null)])
    expect(s).toMatchObject({ sent: 2, received: 0, loss_pct: 100 })
    expect(Object.values(s.rtt_ms).every((v) => v === null)).toBe(true)
    expect(Object.values(s.jitter_ms).every((v) => v === null)).toBe(true)
    const one = computeStats('t', 'icmp', [res(0, null), res(1, 7)])
    expect(one.rtt_ms).toMatchObject({ min: 7, avg: 7, max: 7, stddev: 0, p99: 7 })
    expect(one.jitter_ms.mean).toBeNull()
  })

  it('averages phases for http/https and dns only', () => {
    const http = (seq: number, ttfb: number): ProbeResult => ({
      ...res(seq, ttfb + 1),
      kind: 'http',
      phases_ms: { dns: 0, connect: 1, ttfb, total: ttfb + 1 },
    })
    const s = computeStats('http://h/', 'http', [http(0, 50), http(1, 52), res(2, null)])
    expect(s.phases_ms).toEqual({ dns: 0, connect: 1, ttfb: 51, total: 52 })
    expect(computeStats('t', 'dns', []).phases_ms).toEqual({})
    expect(computeStats('t', 'tcp', []).phases_ms).toBeUndefined()
    expect(computeStats('t', 'tcp', []).loss_pct).toBe(0)
  })

  it('percentile interpolates linearly', () => {
    expect(percentile([], 0.5)).toBeNull()
    expect(percentile([3], 0.99)).toBe(3)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55, 12)
  })
})

describe('ProbeAccumulator', () => {
  it('keeps a window of the last N probes by seq and the whole run', () => {
    const a = new ProbeAccumulator('t', 'udp', 3)
    for (const [seq, rtt] of [
      [0, 10],
      [1, null],
      [2, 30],
      [4, 50],
      [3, 40],
    ] as const)
      a.add(res(seq, rtt))
    a.counters = { late: 1, duplicates: 2 }
    expect(a.run()).toMatchObject({ sent: 5, received: 4, late: 1, duplicates: 2 })
    expect(a.window()).toMatchObject({ sent: 3, received: 3, rtt_ms: { min: 30, max: 50 } })
  })
})

describe('ProbeAccumulator memory', () => {
  it('keeps the newest `cap` probes of an endless run, in seq order', () => {
    const a = new ProbeAccumulator('t', 'udp', 3, 100)
    for (let seq = 0; seq < 1000; seq += 2) {
      a.add(res(seq + 1, seq + 1)) // out of order pairs
      a.add(res(seq, seq))
    }
    expect(a.count).toBe(1000)
    const run = a.run()
    expect(run.sent).toBe(100)
    expect(run.rtt_ms.min).toBe(900)
    expect(a.window().rtt_ms).toMatchObject({ min: 997, max: 999 })
    expect(a.window().jitter_ms.mean).toBe(1)
  })
})
