/**
 * Host side of the one worker protocol (electron/shared/protocol/worker.ts), the same for every
 * worker: launch through an injectable launcher (fork or utilityProcess), validate every message
 * with the worker's zod schema, acknowledge ticks after the listeners ran (a slow host makes the
 * worker merge ticks), and restart a worker that crashed with exponential backoff.
 *
 * Lifecycle of one run: start() resolves when the worker reports `started` (really running) and
 * rejects with a WorkerStartError if it fails or exits first; stop() resolves once the process has
 * exited (killed after a grace period). A worker that exits without `ended` or `error` crashed:
 * a `state` event says why, then it is started again with the same start message (or
 * `restartMessage`), after 0.5 s, 1 s, 2 s ... up to `maxDelayMs`; the attempt count resets once
 * a worker ran for `stableMs`; after `maxAttempts` crashes in a row the run fails.
 */
import { EventEmitter } from 'node:events'
import type { z } from 'zod'
import type { WorkerFailure } from '../../shared/protocol/worker'
import { forkLauncher, type WorkerChannel, type WorkerLauncher, type WorkerName } from './launcher'

export interface RestartPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** A worker that ran this long without crashing starts the count over. */
  stableMs: number
}

export const DEFAULT_RESTART: RestartPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  stableMs: 60_000,
}

/** Where a run is; every change is a `state` event. */
export type WorkerStatus =
  | { state: 'starting'; pid: number | undefined; attempt: number }
  | { state: 'running'; pid: number | undefined; attempt: number }
  /** Crashed; the next start is due in `delay_ms`. */
  | { state: 'restarting'; reason: string; attempt: number; delay_ms: number }
  /** Ended normally (stop, end of input). */
  | { state: 'stopped'; reason: string | null }
  /** Ended by a failure (reported by the worker, or crashes beyond the restart policy). */
  | { state: 'failed'; reason: string }

type Msg = { type: string }
export type StartedOf<F extends Msg> = Extract<F, { type: 'started' }>
export type TickOf<F extends Msg> = Extract<F, { type: 'tick' }>
export type EndedOf<F extends Msg> = Extract<F, { type: 'ended' }>

export interface WorkerHostEvents<F extends Msg> {
  /** The worker is running (after each start or restart). */
  started: [StartedOf<F>]
  tick: [TickOf<F>]
  /** Its last message before a normal end. */
  ended: [EndedOf<F>]
  /** A failure as data (from the worker, or WORKER_CRASHED when restarts ran out). */
  failure: [WorkerFailure]
  state: [WorkerStatus]
}

export interface WorkerHostOptions<S> {
  launcher?: WorkerLauncher
  /** Restart a worker that crashed (never one that ended or reported a failure); false: never. */
  restart?: Partial<RestartPolicy> | false
  /** How long stop() waits for the worker to exit on its own before killing it. */
  stopTimeoutMs?: number
  /** The start message for restart `attempt` (default: the first one again). */
  restartMessage?: (attempt: number) => S
}

/** start() failed: the worker's failure as data. */
export class WorkerStartError extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message)
    this.name = 'WorkerStartError'
  }
}

const failure = (code: string, message: string): WorkerFailure => ({
  type: 'error',
  ok: false,
  code,
  message,
})

export class WorkerHost<S extends { type: 'start' }, F extends Msg> extends EventEmitter<
  WorkerHostEvents<F>
> {
  private readonly launcher: WorkerLauncher
  private readonly policy: RestartPolicy | null
  private channel: WorkerChannel | null = null
  private startMessage: S | null = null
  private stopping = false
  private attempt = 0
  private restartTimer: NodeJS.Timeout | null = null
  private stableTimer: NodeJS.Timeout | null = null
  private last: EndedOf<F> | WorkerFailure | null = null
  private exitWaiters: Array<() => void> = []
  private status: WorkerStatus = { state: 'stopped', reason: null }
  private resolveDone!: (last: EndedOf<F> | WorkerFailure | null) => void
  /** Resolves when the run is over for good: ended, failed, gave up restarting, or stopped. */
  readonly done: Promise<EndedOf<F> | WorkerFailure | null>

  constructor(
    readonly name: WorkerName,
    private readonly schema: z.ZodType<F>,
    private readonly opts: WorkerHostOptions<S> = {},
  ) {
    super()
    this.launcher = opts.launcher ?? forkLauncher
    this.policy = opts.restart === false ? null : { ...DEFAULT_RESTART, ...opts.restart }
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  get pid(): number | undefined {
    return this.channel?.pid
  }

  get state(): WorkerStatus {
    return this.status
  }

  /** Launches the worker; resolves with its `started` message. Once per host. */
  start(message: S): Promise<StartedOf<F>> {
    if (this.startMessage) throw new Error(`${this.name} worker host already started`)
    this.startMessage = message
    return new Promise((resolve, reject) => this.launch(message, resolve, reject))
  }

  /** Sends a message to the running worker (a setting changed mid-run); dropped when none runs. */
  send(message: { type: string }): void {
    this.channel?.postMessage(message)
  }

  /** Asks the worker to finish; resolves after it exited with its last message (if any). */
  async stop(
    timeoutMs = this.opts.stopTimeoutMs ?? 5000,
  ): Promise<EndedOf<F> | WorkerFailure | null> {
    this.stopping = true
    if (this.restartTimer) {
      clearTimeout(this.restartTimer)
      this.restartTimer = null
      this.finish({ state: 'stopped', reason: 'stopped while waiting to restart' })
    }
    const ch = this.channel
    if (ch) {
      const exited = new Promise<void>((r) => this.exitWaiters.push(r))
      ch.postMessage({ type: 'stop' })
      const timer = setTimeout(() => ch.kill(), timeoutMs)
      await exited
      clearTimeout(timer)
    }
    return this.last
  }

  private launch(
    message: S,
    resolve?: (m: StartedOf<F>) => void,
    reject?: (e: WorkerStartError) => void,
  ): void {
    let ch: WorkerChannel
    try {
      ch = this.launcher(this.name)
    } catch (err) {
      const f = failure('WORKER_FAILED', `cannot start the ${this.name} worker: ${String(err)}`)
      this.emit('failure', f)
      this.finish({ state: 'failed', reason: f.message })
      reject?.(new WorkerStartError(f))
      return
    }
    this.channel = ch
    let running = false
    let closed = false
    let killReason: string | null = null
    this.setState({ state: 'starting', pid: ch.pid, attempt: this.attempt })
    ch.onMessage((raw) => {
      if (this.channel !== ch || killReason) return
      const parsed = this.schema.safeParse(raw)
      if (!parsed.success) {
        // A worker that breaks the protocol is broken: end it and treat that as a crash.
        const issue = parsed.error.issues[0]
        killReason = `sent an invalid message (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`
        ch.kill()
        return
      }
      const m = parsed.data
      if (m.type === 'started') {
        if (running) return
        running = true
        this.armStable()
        this.setState({ state: 'running', pid: ch.pid, attempt: this.attempt })
        this.emit('started', m as StartedOf<F>)
        resolve?.(m as StartedOf<F>)
      } else if (m.type === 'tick') {
        const t = m as unknown as TickOf<F> & { seq: number }
        this.emit('tick', t)
        // After the listeners ran: a slow host makes the worker merge ticks, not queue them.
        ch.postMessage({ type: 'ack', seq: t.seq })
      } else if (m.type === 'error') {
        closed = true
        this.last = m as unknown as WorkerFailure
        this.emit('failure', this.last)
        if (!running) reject?.(new WorkerStartError(this.last))
      } else if (m.type === 'ended') {
        closed = true
        this.last = m as EndedOf<F>
        this.emit('ended', this.last)
      }
    })
    ch.onExit((code, signal) => {
      if (this.channel === ch) this.channel = null
      if (this.stableTimer) clearTimeout(this.stableTimer)
      this.stableTimer = null
      const waiters = this.exitWaiters
      this.exitWaiters = []
      const how = killReason ?? describeExit(code, signal)
      if (!running && !closed) {
        const f = this.stopping
          ? failure('STOPPED', `the ${this.name} worker was stopped before it started`)
          : failure('WORKER_EXITED', `the ${this.name} worker ${how} before it started`)
        if (!this.stopping && this.attempt === 0) {
          this.last = f
          this.emit('failure', f)
        }
        reject?.(new WorkerStartError(f))
      }
      if (this.stopping) this.finish({ state: 'stopped', reason: null })
      else if (closed)
        this.finish(
          this.last?.type === 'error'
            ? { state: 'failed', reason: this.last.message }
            : { state: 'stopped', reason: null },
        )
      else if (running || this.attempt > 0) this.crashed(`the ${this.name} worker ${how}`)
      else this.finish({ state: 'failed', reason: `the ${this.name} worker ${how}` })
      waiters.forEach((w) => w())
    })
    ch.postMessage(message)
  }

  private crashed(reason: string): void {
    const p = this.policy
    if (!p || this.attempt >= p.maxAttempts) {
      const why = p ? `${reason}; gave up after ${p.maxAttempts} restarts` : reason
      this.last = failure('WORKER_CRASHED', why)
      this.emit('failure', this.last)
      this.finish({ state: 'failed', reason: why })
      return
    }
    this.attempt++
    const delay_ms = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (this.attempt - 1))
    this.setState({ state: 'restarting', reason, attempt: this.attempt, delay_ms })
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      if (this.stopping) return
      const next = this.opts.restartMessage?.(this.attempt) ?? this.startMessage!
      this.launch(next)
    }, delay_ms)
  }

  private armStable(): void {
    if (!this.policy) return
    const attempt = this.attempt
    this.stableTimer = setTimeout(() => {
      if (this.attempt === attempt) this.attempt = 0
    }, this.policy.stableMs)
    this.stableTimer.unref?.()
  }

  private finish(status: WorkerStatus): void {
    this.setState(status)
    this.resolveDone(this.last)
  }

  private setState(s: WorkerStatus): void {
    this.status = s
    this.emit('state', s)
  }
}

function describeExit(code: number | null, signal: string | null): string {
  if (signal && /^SIG[A-Z0-9]+$/.test(signal)) return `was killed by ${signal}`
  if (signal) return `ended: ${signal}`
  return `exited with code ${code ?? 'unknown'}`
}
