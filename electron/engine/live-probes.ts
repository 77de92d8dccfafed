/**
 * Active probes for the UI: one ProbeSession (probe worker) at a time, its results and
 * per-tick statistics republished as contract events, and per-period sums handed to history.
 */
import type { ProbesState } from '../../common/contract'
import type { ProbeSpec } from '../../common/probes'
import { EngineError } from './api'
import type { EventBus } from './events'
import { ProbeAggregator, type ProbeAggregate } from './probes/aggregate'
import { ProbeSession } from './probes/session'
import { parseProbeTarget, ProbeTargetError } from '../shared/probes/target'

export type ProbeSink = (samples: ProbeAggregate[], time_us: number) => void

export class LiveProbes {
  private session: ProbeSession | null = null
  private current: ProbesState = { active: false, targets: [], error: null }

  constructor(
    private readonly events: EventBus,
    private readonly record: ProbeSink = () => {},
    private readonly tickMs = 1000,
    private readonly workerPath?: string,
  ) {}

  state(): ProbesState {
    return { ...this.current, targets: [...this.current.targets] }
  }

  async start(
    targets: Array<{ target: string; interval_ms: number; timeout_ms: number }>,
  ): Promise<ProbesState> {
    for (const t of targets) {
      try {
        parseProbeTarget(t.target)
      } catch (err) {
        if (err instanceof ProbeTargetError) throw new EngineError('BAD_REQUEST', err.message)
        throw err
      }
    }
    await this.stop()
    const specs: ProbeSpec[] = targets.map((t) => ({ ...t, count: null }))
    const session = new ProbeSession(specs, {
      tick_ms: this.tickMs,
      ...(this.workerPath && { workerPath: this.workerPath }),
    })
    const sums = new ProbeAggregator()
    const flush = () => this.record(sums.take(), Date.now() * 1000)
    session.on('results', (results) => {
      sums.add(results)
      if (this.session === session) this.events.emit('probes.results', { results })
    })
    session.on('stats', (stats) => {
      flush()
      if (this.session === session)
        this.events.emit('probes.stats', { time: new Date().toISOString(), targets: stats })
    })
    void session.finished.then(({ failure }) => {
      flush()
      if (this.session !== session) return
      this.session = null
      this.set({ ...this.current, active: false, error: failure })
    })
    this.session = session
    session.start()
    this.set({ active: true, targets: specs, error: null })
    return this.state()
  }

  async stop(): Promise<ProbesState> {
    const session = this.session
    this.session = null
    if (session) {
      await session.stop()
      this.set({ ...this.current, active: false })
    }
    return this.state()
  }

  private set(state: ProbesState): void {
    this.current = state
    this.events.emit('probes.state', this.state())
  }
}
