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

describe('ProbeAccumulator memory and exactness', () => {
  it('keeps run statistics exact over an endless run with bounded memory; percentiles over the ring', () => {
    const a = new ProbeAccumulator('t', 'udp', 3, 100)
    const all: ProbeResult[] = []
    for (let seq = 0; seq < 1000; seq += 2) {
      const pair = [res(seq + 1, seq + 1), res(seq, seq)] // out of order pairs
      pair.forEach((r) => a.add(r))
      all.push(...pair)
    }
    expect(a.count).toBe(1000)
    const run = a.run()
    const exact = computeStats('t', 'udp', all)
    expect(run.sent).toBe(1000)
    expect(run.rtt_ms.min).toBe(0)
    expect(run.rtt_ms.avg).toBe(exact.rtt_ms.avg)
    expect(run.jitter_ms).toEqual(exact.jitter_ms)
    // p50 of the newest 100 replies (900..999).
    expect(run.rtt_ms.p50).toBe(949.5)
    expect(a.window().rtt_ms).toMatchObject({ min: 997, max: 999 })
    expect(a.window().jitter_ms.mean).toBe(1)
  })

  it('equals computeStats over the whole run for any arrival order, while the ring holds it all', () => {
    let x = 7
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32
    for (const kind of ['udp', 'http'] as const) {
      const results: ProbeResult[] = Array.from({ length: 3000 }, (_, seq) => {
        const lost = rnd() < 0.1
        const r = res(seq, lost ? null : Math.round(rnd() * 50_000) / 1000)
        if (kind === 'http' && !lost) r.phases_ms = { connect: rnd() * 3, ttfb: rnd() * 9 }
        return { ...r, kind }
      })
      // Arrival order: mostly in order, some overtaken by up to 20 later probes.
      const arrival = results.map((r, i) => ({ r, at: i + (rnd() < 0.2 ? rnd() * 20 : 0) }))
      arrival.sort((p, q) => p.at - q.at)
      const a = new ProbeAccumulator('t', kind, 60, 4096)
      a.counters = { late: 2, duplicates: 1 }
      const half = arrival.length / 2
      arrival.slice(0, half).forEach((p) => a.add(p.r))
      a.run() // a snapshot mid-run must not disturb the run
      arrival.slice(half).forEach((p) => a.add(p.r))
      const got = a.run()
      const want = computeStats('t', kind, results, { late: 2, duplicates: 1 })
      expect({ ...got, rtt_ms: { ...got.rtt_ms, stddev: 0 } }).toEqual({
        ...want,
        rtt_ms: { ...want.rtt_ms, stddev: 0 },
      })
      expect(got.rtt_ms.stddev).toBeCloseTo(want.rtt_ms.stddev!, 9)
      expect(a.window()).toEqual(computeStats('t', kind, results.slice(-60)))
    }
  })

  it('a restarted worker continues at a later seq: the gap is skipped, nothing is counted twice', () => {
    const a = new ProbeAccumulator('t', 'udp', 10, 100)
    a.add(res(0, 10))
    a.add(res(2, 30)) // seq 1 never comes back (the worker died with it in flight)
    a.skipTo(3)
    a.add(res(3, 20))
    expect(a.run()).toMatchObject({ sent: 3, received: 3, jitter_ms: { mean: 15 } })
  })
})
