import { EventEmitter } from 'node:events'
import type { ProbeKind, ProbeResult, ProbeSpec, ProbeTargetStats } from '../../../common/probes'
import { ProbeClient } from './client'
import { ProbeAccumulator } from '../../shared/probes/stats'
import { parseProbeTarget } from '../../shared/probes/target'

export interface ProbeFailure {
  target: string
  code: string
  message: string
}

export interface ProbeSessionEvents {
  /** Each batch of results as the worker streams them (~every 20 ms while probes complete). */
  results: [results: ProbeResult[]]
  /** Every target's window and run statistics, once per `tick_ms`. */
  stats: [stats: ProbeTargetStats[]]
}

export interface ProbeSessionOptions {
  /** Probes per target in the window statistics. */
  windowN?: number
  tick_ms?: number
  concurrency?: number
  workerPath?: string
}

/**
 * One probe run for the engine: forks the probe worker, accumulates per-target statistics and
 * emits them per tick. `finished` resolves when every probe is done, the run was stopped, or a
 * target cannot be probed at all (`failure`, e.g. no ICMP rights, with the fix in its message).
 * Targets must already be valid (parseProbeTarget) — the constructor throws ProbeTargetError.
 */
export class ProbeSession extends EventEmitter<ProbeSessionEvents> {
  private readonly acc: Map<string, ProbeAccumulator>
  private readonly client: ProbeClient
  private ticker: NodeJS.Timeout | null = null
  private stopping = false
  readonly finished: Promise<{ failure: ProbeFailure | null }>

  constructor(
    private readonly specs: ProbeSpec[],
    private readonly opts: ProbeSessionOptions = {},
  ) {
    super()
    const kinds = new Map<string, ProbeKind>(
      specs.map((s) => [s.target, parseProbeTarget(s.target).kind]),
    )
    this.acc = new Map(
      specs.map((s) => [
        s.target,
        new ProbeAccumulator(s.target, kinds.get(s.target)!, opts.windowN ?? 60),
      ]),
    )
    this.client = new ProbeClient(opts.workerPath)
    this.finished = new Promise((resolve) => {
      this.client.on('results', (results, counters) => {
        for (const r of results) this.acc.get(r.target)?.add(r)
        for (const [t, c] of Object.entries(counters)) {
          const a = this.acc.get(t)
          if (a) a.counters = c
        }
        this.emit('results', results)
      })
      const end = (failure: ProbeFailure | null) => {
        if (this.ticker) clearInterval(this.ticker)
        this.ticker = null
        resolve({ failure })
      }
      this.client.on('fatal', (target, code, message) => {
        this.client.kill()
        end({ target, code, message })
      })
      this.client.on('done', () => end(null))
      this.client.on('exit', () => end(null))
    })
  }

  start(): void {
    this.client.start(this.specs, this.opts.concurrency)
    this.ticker = setInterval(() => {
      if (this.listenerCount('stats') > 0) this.emit('stats', this.snapshot())
    }, this.opts.tick_ms ?? 1000)
  }

  /** Ends early: probes in flight finish (or time out), then `finished` resolves. */
  stop(grace_ms = 2000): Promise<{ failure: ProbeFailure | null }> {
    if (!this.stopping) {
      this.stopping = true
      this.client.stop()
      // A worker that does not wind down in time is ended; what was measured is kept.
      setTimeout(() => this.client.kill(), grace_ms).unref()
    }
    return this.finished
  }

  /** Statistics of every target now, in the order the targets were given. */
  snapshot(): ProbeTargetStats[] {
    return [...this.acc.values()].map((a) => ({
      target: a.target,
      window_n: a.windowN,
      window: a.window(),
      run: a.run(),
    }))
  }
}
