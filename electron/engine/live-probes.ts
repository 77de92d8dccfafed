/**
 * Active probes for the UI: one ProbeSession (probe worker) at a time, its results and
 * per-tick statistics republished as contract events, and per-period sums handed to history.
 * Start and stop go through one queue (at most one worker, whatever the interleaving); a crashed
 * worker is reported in `probes.state` and restarted. Requests over the process's probe rate
 * limit are refused as BAD_REQUEST naming the limit.
 */
import type { ProbesState } from '../../common/contract'
import type { ProbeSpec } from '../../common/probes'
import { EngineError } from './api'
import type { EventBus } from './events'
import { ProbeAggregator, type ProbeAggregate } from './probes/aggregate'
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PROBE_RATE, probeLimitError } from './probes/limits'
import { ProbeSession } from './probes/session'
import type { RestartPolicy } from './workers/host'
import type { WorkerLauncher } from './workers/launcher'
import { SerialQueue } from './workers/serial'
import { parseProbeTarget, ProbeTargetError } from '../shared/probes/target'
import type { ConcurrencyLimits } from '../shared/protocol/probe'

export type ProbeSink = (samples: ProbeAggregate[], time_us: number) => void

/** The one options type of LiveProbes. */
export interface LiveProbesOptions {
  tickMs?: number
  /** History's sink for per-period sums. */
  record?: ProbeSink
  /** Total probes per second this process allows (a CLI flag, never the API). */
  maxRate?: number
  concurrency?: ConcurrencyLimits
  launcher?: WorkerLauncher
  /** Restarts after a crash (default: the WorkerHost policy); false: none. */
  restart?: Partial<RestartPolicy> | false
}

export class LiveProbes {
  private session: ProbeSession | null = null
  /** The session being stopped: its final results still go out. */
  private draining: ProbeSession | null = null
  private readonly queue = new SerialQueue()
  private current: ProbesState = { active: false, targets: [], error: null }

  constructor(
    private readonly events: EventBus,
    private readonly opts: LiveProbesOptions = {},
  ) {}

  state(): ProbesState {
    return { ...this.current, targets: [...this.current.targets] }
  }

  /** The running worker's process id (tests, diagnostics). */
  get pid(): number | undefined {
    return this.session?.pid
  }

  get maxRate(): number {
    return this.opts.maxRate ?? DEFAULT_MAX_PROBE_RATE
  }

  start(
    targets: Array<{ target: string; interval_ms: number; timeout_ms: number }>,
  ): Promise<ProbesState> {
    // Refusals need no queue: nothing is stopped or started for a bad request.
    for (const t of targets) {
      try {
        parseProbeTarget(t.target)
      } catch (err) {
        if (err instanceof ProbeTargetError) throw new EngineError('BAD_REQUEST', err.message)
        throw err
      }
    }
    const over = probeLimitError(targets, this.maxRate)
    if (over) throw new EngineError('BAD_REQUEST', over)
    return this.queue.run(() => this.doStart(targets))
  }

  stop(): Promise<ProbesState> {
    return this.queue.run(() => this.doStop())
  }

  private async doStart(
    targets: Array<{ target: string; interval_ms: number; timeout_ms: number }>,
  ): Promise<ProbesState> {
    await this.doStop()
    const specs: ProbeSpec[] = targets.map((t) => ({ ...t, count: null }))
    const session = new ProbeSession(specs, {
      tick_ms: this.opts.tickMs ?? 1000,
      concurrency: this.opts.concurrency ?? DEFAULT_CONCURRENCY,
      restart: this.opts.restart ?? {},
      ...(this.opts.launcher && { launcher: this.opts.launcher }),
    })
    const sums = new ProbeAggregator()
    const record = this.opts.record ?? (() => {})
    const flush = () => {
      const samples = sums.take()
      if (samples.length) record(samples, Date.now() * 1000)
    }
    session.on('results', (results) => {
      sums.add(results)
      // A stopping session still delivers its last batch (the probes of its final tick).
      if (this.session === session || this.draining === session)
        this.events.emit('probes.results', { results })
    })
    session.on('stats', (stats) => {
      flush()
      if (this.session === session)
        this.events.emit('probes.stats', { time: new Date().toISOString(), targets: stats })
    })
    let restarting = false
    session.on('state', (s) => {
      if (this.session !== session) return
      if (s.state === 'restarting') {
        restarting = true
        this.set({
          active: false,
          targets: specs,
          error: {
            target: '*',
            code: 'WORKER_CRASHED',
            message: `${s.reason}; restarting in ${s.delay_ms / 1000} s (attempt ${s.attempt})`,
          },
        })
      } else if (s.state === 'running' && restarting) {
        restarting = false
        this.set({ active: true, targets: specs, error: null })
      }
    })
    this.session = session
    const failed = await session.start()
    void session.finished.then(({ failure }) => {
      flush()
      if (this.session !== session) return
      this.session = null
      this.set({ ...this.current, active: false, error: failure })
    })
    if (failed) {
      if (this.session === session) this.session = null
      this.set({ active: false, targets: specs, error: failed })
      return this.state()
    }
    this.set({ active: true, targets: specs, error: null })
    return this.state()
  }

  private async doStop(): Promise<ProbesState> {
    const session = this.session
    this.session = null
    if (session) {
      this.draining = session
      try {
        await session.stop()
      } finally {
        this.draining = null
      }
      this.set({ ...this.current, active: false })
    }
    return this.state()
  }

  private set(state: ProbesState): void {
    this.current = state
    this.events.emit('probes.state', this.state())
  }
}
