import { EventEmitter } from 'node:events'
import type { ProbeKind, ProbeResult, ProbeSpec, ProbeTargetStats } from '../../../common/probes'
import { ProbeAccumulator } from '../../shared/probes/stats'
import { parseProbeTarget } from '../../shared/probes/target'
import {
  FromWorker,
  type ConcurrencyLimits,
  type ProbeEnded,
  type ProbeTick,
  type StartMessage,
} from '../../shared/protocol/probe'
import {
  WorkerHost,
  WorkerStartError,
  type RestartPolicy,
  type WorkerStatus,
} from '../workers/host'
import type { WorkerLauncher } from '../workers/launcher'
import { DEFAULT_CONCURRENCY } from './limits'

export interface ProbeFailure {
  target: string
  code: string
  message: string
}

export interface ProbeSessionEvents {
  /** Each tick's results, as the worker batches them (one batch per `tick_ms`). */
  results: [results: ProbeResult[]]
  /** Every target's window and run statistics, once per tick. */
  stats: [stats: ProbeTargetStats[]]
  /** The worker's lifecycle (running, restarting after a crash with the reason, ...). */
  state: [status: WorkerStatus]
}

/** The one options type of ProbeSession. */
export interface ProbeSessionOptions {
  /** Probes per target in the window statistics. */
  windowN?: number
  /** Result batching and statistics period. */
  tick_ms?: number
  /** Replies per target the run percentiles are taken over (default: all of a counted run up to 100,000; 1,024 otherwise). */
  percentileN?: number
  concurrency?: ConcurrencyLimits
  /** How the worker is started (default: fork of out/main/probe.js). */
  launcher?: WorkerLauncher
  /** Restart a crashed worker (default: no; the engine's live probes do). */
  restart?: Partial<RestartPolicy> | false
}

const MAX_EXACT_PERCENTILES = 100_000
const ENDLESS_PERCENTILES = 1024

/**
 * One probe run for the engine and the CLI: runs the probe worker through the one WorkerHost,
 * keeps per-target statistics (bounded memory, see ProbeAccumulator) and emits them per tick.
 * `finished` resolves when every probe is done, the run was stopped, or a target cannot be
 * probed at all (`failure`, e.g. no ICMP rights, with the fix in its message).
 * Targets must already be valid (parseProbeTarget): the constructor throws ProbeTargetError.
 */
export class ProbeSession extends EventEmitter<ProbeSessionEvents> {
  private readonly acc: Map<string, ProbeAccumulator>
  private readonly host: WorkerHost<StartMessage, FromWorker>
  private readonly startMessage: StartMessage
  private maxSeq = -1
  private resolveFinished!: (r: { failure: ProbeFailure | null }) => void
  readonly finished: Promise<{ failure: ProbeFailure | null }>

  constructor(
    private readonly specs: ProbeSpec[],
    opts: ProbeSessionOptions = {},
  ) {
    super()
    const kinds = new Map<string, ProbeKind>(
      specs.map((s) => [s.target, parseProbeTarget(s.target).kind]),
    )
    this.acc = new Map(
      specs.map((s) => [
        s.target,
        new ProbeAccumulator(
          s.target,
          kinds.get(s.target)!,
          opts.windowN ?? 60,
          opts.percentileN ??
            (s.count === null ? ENDLESS_PERCENTILES : Math.min(s.count, MAX_EXACT_PERCENTILES)),
        ),
      ]),
    )
    this.startMessage = {
      type: 'start',
      specs,
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      tick_ms: opts.tick_ms ?? 1000,
    }
    this.host = new WorkerHost('probe', FromWorker, {
      ...(opts.launcher && { launcher: opts.launcher }),
      restart: opts.restart ?? false,
      // A restarted worker continues after the last seq seen, so no result is counted twice.
      restartMessage: () => {
        const seq_base = this.maxSeq + 1
        for (const a of this.acc.values()) a.skipTo(seq_base)
        return { ...this.startMessage, seq_base }
      },
    })
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve))
    this.host.on('tick', (m) => {
      this.take(m)
      if (m.results.length) this.emit('results', m.results)
      if (this.listenerCount('stats') > 0) this.emit('stats', this.snapshot())
    })
    this.host.on('ended', (m) => {
      this.take(m)
      for (const a of this.acc.values()) a.skipTo(Number.MAX_SAFE_INTEGER)
      if (m.results.length) this.emit('results', m.results)
    })
    this.host.on('failure', (f) =>
      this.resolveFinished({
        failure: { target: f.target ?? '*', code: f.code, message: f.message },
      }),
    )
    this.host.on('state', (s) => this.emit('state', s))
    void this.host.done.then(() => {
      for (const a of this.acc.values()) a.skipTo(Number.MAX_SAFE_INTEGER)
      this.resolveFinished({ failure: null })
    })
  }

  /** The worker's process id while it runs. */
  get pid(): number | undefined {
    return this.host.pid
  }

  /** Starts the worker; resolves once it is probing (null) or with why it could not start. */
  async start(): Promise<ProbeFailure | null> {
    try {
      await this.host.start(this.startMessage)
      return null
    } catch (err) {
      if (!(err instanceof WorkerStartError)) throw err
      const f = err.failure
      return { target: f.target ?? '*', code: f.code, message: f.message }
    }
  }

  /** Ends early: probes in flight finish (or time out; killed after `grace_ms`), then `finished` resolves. */
  async stop(grace_ms = 2000): Promise<{ failure: ProbeFailure | null }> {
    await this.host.stop(grace_ms)
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

  private take(m: ProbeTick | ProbeEnded): void {
    for (const r of m.results) {
      this.acc.get(r.target)?.add(r)
      if (r.seq > this.maxSeq) this.maxSeq = r.seq
    }
    for (const [t, c] of Object.entries(m.counters)) {
      const a = this.acc.get(t)
      if (a) a.counters = c
    }
  }
}
