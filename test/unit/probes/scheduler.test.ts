import { describe, expect, it } from 'vitest'
import { Scheduler, type SchedulerClock } from '../../../electron/workers/probe/scheduler'

/** A simulated clock whose timers fire late by `lateness()` ms, like a busy event loop. */
class FakeClock implements SchedulerClock {
  t = 0
  private timers: { at: number; fn: () => void; id: number }[] = []
  private nextId = 1
  constructor(private readonly lateness: () => number = () => 0) {}
  now = () => this.t
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++
    this.timers.push({ at: this.t + ms + this.lateness(), fn, id })
    return id
  }
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id)
  }
  /** Runs timers in time order until `until`, letting promise callbacks settle in between. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r))
      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers[0]
      if (!next || next.at > until) break
      this.timers.shift()
      this.t = Math.max(this.t, next.at)
      next.fn()
    }
    this.t = until
  }
}

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

describe('Scheduler', () => {
  it('does not drift over 1,000 runs at 10 ms even when every timer fires late', async () => {
    const rand = rng(7)
    const clock = new FakeClock(() => rand() * 3) // each timer 0-3 ms late
    const s = new Scheduler(16, clock)
    const launches: number[] = []
    s.add({ interval_ms: 10, count: 1000, run: async () => void launches.push(clock.now()) })
    s.start()
    await clock.runUntil(20_000)
    await s.idle()
    expect(launches).toHaveLength(1000)
    launches.forEach((t, n) => {
      expect(t - n * 10).toBeGreaterThanOrEqual(0)
      expect(t - n * 10).toBeLessThanOrEqual(3)
    })
    // Chaining "previous run + 10 ms" would end ~1.5 s late (1000 × mean 1.5 ms); we end on time.
    expect(launches[999]!).toBeLessThanOrEqual(9990 + 3)
    const summary = s.latenessSummary()
    expect(summary.n).toBe(1000)
    expect(summary.max_ms).toBeLessThanOrEqual(3)
  })

  it('spreads targets of one interval evenly across it', async () => {
    const clock = new FakeClock()
    const s = new Scheduler(16, clock)
    const first = new Map<number, number>()
    for (let i = 0; i < 4; i++)
      s.add({
        interval_ms: 100,
        count: 2,
        run: async () => void (first.has(i) || first.set(i, clock.now())),
      })
    s.start()
    await clock.runUntil(1000)
    expect([...first.values()]).toEqual([0, 25, 50, 75])
  })

  it('bounds concurrency and lets waiting runs start late, without shifting the schedule', async () => {
    const clock = new FakeClock()
    const s = new Scheduler(2, clock)
    let inFlight = 0
    let peak = 0
    const launches: number[] = []
    for (let i = 0; i < 4; i++) {
      s.add({
        interval_ms: 40,
        count: 3,
        run: (seq, due) =>
          new Promise<void>((resolve) => {
            if (i === 0) launches.push(clock.now() - due)
            inFlight++
            peak = Math.max(peak, inFlight)
            clock.setTimer(() => {
              inFlight--
              resolve()
              void seq
            }, 25)
          }),
      })
    }
    s.start()
    await clock.runUntil(1000)
    await s.idle()
    expect(peak).toBe(2)
    expect(s.latenessSummary().n).toBe(12)
    expect(s.latenessSummary().max_ms).toBeGreaterThan(0)
  })

  it('bounds concurrency per group (target kind) without holding back other groups', async () => {
    const clock = new FakeClock()
    const s = new Scheduler(100, clock, 1000, { http: 2 })
    const inFlight = new Map<string, number>()
    const peak = new Map<string, number>()
    const runs = new Map<string, number>()
    for (let i = 0; i < 10; i++) {
      const group = i < 6 ? 'http' : 'udp'
      s.add({
        interval_ms: 50,
        count: 4,
        group,
        run: () =>
          new Promise<void>((resolve) => {
            inFlight.set(group, (inFlight.get(group) ?? 0) + 1)
            peak.set(group, Math.max(peak.get(group) ?? 0, inFlight.get(group)!))
            runs.set(group, (runs.get(group) ?? 0) + 1)
            clock.setTimer(() => {
              inFlight.set(group, inFlight.get(group)! - 1)
              resolve()
            }, 40)
          }),
      })
    }
    s.start()
    await clock.runUntil(5000)
    await s.idle()
    expect(peak.get('http')).toBe(2)
    expect(peak.get('udp')).toBe(4)
    expect(runs).toEqual(
      new Map([
        ['http', 24],
        ['udp', 16],
      ]),
    )
  })

  it('stops launching on stop() and resolves once in-flight runs end', async () => {
    const clock = new FakeClock()
    const s = new Scheduler(8, clock)
    let runs = 0
    s.add({ interval_ms: 10, count: null, run: async () => void runs++ })
    s.start()
    const idle = s.idle() // a waiter from before stop() must be woken too
    await clock.runUntil(55)
    await s.stop()
    await idle
    const at = runs
    await clock.runUntil(500)
    expect(at).toBe(6) // t = 0, 10, ..., 50
    expect(runs).toBe(at)
  })
})
