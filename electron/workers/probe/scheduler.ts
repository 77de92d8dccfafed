/** Time and timers, injected so tests drive the scheduler with a fake clock. */
export interface SchedulerClock {
  /** Monotonic milliseconds. */
  now(): number
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
}

export const realClock: SchedulerClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
}

export interface JobSpec {
  interval_ms: number
  /** Concurrency group (the target kind); limited by the scheduler's `groupLimits`. */
  group?: string
  /** Number of runs, or null for until stopped. */
  count: number | null
  /** Runs probe `seq`, due at `due_ms` (clock time); the promise settles when the probe is done. */
  run(seq: number, due_ms: number): Promise<void>
}

interface Job extends JobSpec {
  t0: number
  /** Next seq to launch. */
  n: number
  due: number
  inFlight: number
  waiting: boolean
}

/** Lateness of launches (actual − scheduled start), ms. */
export interface LatenessSummary {
  n: number
  mean_ms: number
  p99_ms: number
  max_ms: number
  /** Lateness of the most recent launch: with absolute due times this is the drift so far. */
  last_ms: number
}

/**
 * Runs many jobs at their own intervals. Run n of a job is due at t0 + n * interval (never
 * "previous run + interval"), so timer lateness never accumulates into drift; jobs that share an
 * interval get start offsets spread evenly across it, so they do not bunch. At most
 * `concurrency` runs are in flight, and at most `groupLimits[g]` of group g; due runs beyond that
 * wait (earliest due first) and start late (the lateness is recorded, the schedule is not shifted).
 */
export class Scheduler {
  private readonly jobs: Job[] = []
  private heap: Job[] = []
  /** Due runs waiting for room, per group, in due order. */
  private readonly queues = new Map<string, Job[]>()
  private readonly groupInFlight = new Map<string, number>()
  private inFlight = 0
  private timer: unknown = null
  private timerDue = Infinity
  private running = false
  private stopped = false
  private readonly lateness: number[] = []
  private latenessN = 0
  private latenessSum = 0
  private latenessMax = 0
  private latenessLast = 0
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly concurrency = 256,
    private readonly clock: SchedulerClock = realClock,
    private readonly latenessCap = 100_000,
    private readonly groupLimits: Readonly<Record<string, number>> = {},
  ) {}

  add(spec: JobSpec): void {
    if (this.running) throw new Error('add jobs before start()')
    this.jobs.push({ ...spec, t0: 0, n: 0, due: 0, inFlight: 0, waiting: false })
  }

  /** Starts every job; offsets spread jobs of equal interval evenly across that interval. */
  start(): void {
    this.running = true
    const start = this.clock.now()
    const byInterval = new Map<number, Job[]>()
    for (const j of this.jobs) {
      const group = byInterval.get(j.interval_ms)
      if (group) group.push(j)
      else byInterval.set(j.interval_ms, [j])
    }
    for (const [interval, group] of byInterval) {
      group.forEach((j, i) => {
        j.t0 = start + (i * interval) / group.length
        j.due = j.t0
        if (j.count !== 0) this.push(j)
      })
    }
    this.tick()
  }

  /** Launches nothing more; resolves when the runs in flight have finished. */
  stop(): Promise<void> {
    this.stopped = true
    this.heap = []
    this.queues.clear()
    if (this.timer !== null) this.clock.clearTimer(this.timer)
    this.timer = null
    this.checkIdle() // wakes run()'s idle() when nothing is in flight
    return this.idle()
  }

  /** Resolves when every job has run its count (or after stop) and nothing is in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  latenessSummary(): LatenessSummary {
    const sorted = Float64Array.from(this.lateness).sort()
    const p99 = sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!
      : 0
    return {
      n: this.latenessN,
      mean_ms: this.latenessN ? this.latenessSum / this.latenessN : 0,
      p99_ms: p99,
      max_ms: this.latenessMax,
      last_ms: this.latenessLast,
    }
  }

  private isIdle(): boolean {
    if (this.inFlight !== 0 || this.heap.length !== 0) return false
    for (const q of this.queues.values()) if (q.length) return false
    return true
  }

  private tick(): void {
    this.timer = null
    this.timerDue = Infinity
    if (this.stopped) return
    const now = this.clock.now()
    while (this.heap.length && this.heap[0]!.due <= now) {
      const j = this.pop()!
      j.waiting = true
      const g = j.group ?? ''
      const q = this.queues.get(g)
      if (q) q.push(j)
      else this.queues.set(g, [j])
    }
    this.drainQueue()
    this.arm()
    this.checkIdle()
  }

  private drainQueue(): void {
    while (this.inFlight < this.concurrency && !this.stopped) {
      let best: Job[] | null = null
      for (const [g, q] of this.queues) {
        if (!q.length || (this.groupInFlight.get(g) ?? 0) >= (this.groupLimits[g] ?? Infinity))
          continue
        if (!best || q[0]!.due < best[0]!.due) best = q
      }
      if (!best) return
      const j = best.shift()!
      j.waiting = false
      this.launch(j)
    }
  }

  private launch(j: Job): void {
    const seq = j.n
    const due = j.due
    const late = Math.max(0, this.clock.now() - due)
    this.recordLateness(late)
    const g = j.group ?? ''
    j.n++
    j.inFlight++
    this.inFlight++
    this.groupInFlight.set(g, (this.groupInFlight.get(g) ?? 0) + 1)
    if (j.count === null || j.n < j.count) {
      j.due = j.t0 + j.n * j.interval_ms
      this.push(j)
    }
    const done = () => {
      j.inFlight--
      this.inFlight--
      this.groupInFlight.set(g, this.groupInFlight.get(g)! - 1)
      this.drainQueue()
      this.arm()
      this.checkIdle()
    }
    j.run(seq, due).then(done, done)
  }

  private arm(): void {
    if (this.stopped || !this.heap.length) return
    const due = this.heap[0]!.due
    if (this.timer !== null && this.timerDue <= due) return
    if (this.timer !== null) this.clock.clearTimer(this.timer)
    this.timerDue = due
    this.timer = this.clock.setTimer(() => this.tick(), Math.max(0, due - this.clock.now()))
  }

  private checkIdle(): void {
    if (!this.isIdle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  private recordLateness(ms: number): void {
    this.latenessN++
    this.latenessSum += ms
    this.latenessMax = Math.max(this.latenessMax, ms)
    this.latenessLast = ms
    if (this.lateness.length < this.latenessCap) this.lateness.push(ms)
    else this.lateness[this.latenessN % this.latenessCap] = ms
  }

  // Binary min-heap on due time.
  private push(j: Job): void {
    const h = this.heap
    h.push(j)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (h[parent]!.due <= h[i]!.due) break
      ;[h[parent], h[i]] = [h[i]!, h[parent]!]
      i = parent
    }
  }

  private pop(): Job | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length && last) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && h[l]!.due < h[m]!.due) m = l
        if (r < h.length && h[r]!.due < h[m]!.due) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i]!, h[m]!]
        i = m
      }
    }
    return top
  }
}
