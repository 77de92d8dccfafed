/**
 * Engine side of the capture worker: forks electron/workers/capture/main.ts, validates what it sends
 * and exposes it as events. Errors arrive as data (`failure` event with code + message), never as
 * exceptions from the worker.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  FromWorker,
  type EndedMessage,
  type StartMessage,
  type TickMessage,
  type ToWorker,
  type WorkerFailure,
} from '../../shared/protocol/capture'

export interface CaptureClientEvents {
  started: [Extract<FromWorker, { type: 'started' }>]
  tick: [TickMessage]
  failure: [WorkerFailure]
  ended: [EndedMessage]
  /** The worker process is gone (after `ended`/`error`, or a crash: code/signal say which). */
  exit: [code: number | null, signal: NodeJS.Signals | null]
}

export interface CaptureClientOptions {
  /** Built worker entry; defaults to capture.js beside the built engine (out/main). */
  workerPath?: string
}

/** The built worker entry (out/main/capture.js), from an entry or from a shared chunk below it. */
function defaultWorkerPath(): string {
  const candidates = [join(__dirname, 'capture.js'), join(__dirname, '..', 'capture.js')]
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!
}

export class CaptureClient extends EventEmitter<CaptureClientEvents> {
  private readonly child: ChildProcess
  private exited = false

  private constructor(start: StartMessage, options: CaptureClientOptions) {
    super()
    const workerPath = options.workerPath ?? defaultWorkerPath()
    this.child = fork(workerPath, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    this.child.on('message', (raw) => this.receive(raw))
    this.child.on('exit', (code, signal) => {
      this.exited = true
      this.emit('exit', code, signal)
    })
    this.child.on('error', (err) =>
      this.emit('failure', {
        type: 'error',
        ok: false,
        code: 'CAPTURE_FAILED',
        message: err.message,
      }),
    )
    this.post(start)
  }

  /** Forks a worker and starts the capture; listen for `started`, `tick`, `failure`, `ended`. */
  static start(
    start: Omit<StartMessage, 'type'>,
    options: CaptureClientOptions = {},
  ): CaptureClient {
    return new CaptureClient({ type: 'start', ...start }, options)
  }

  /** Asks the worker to stop; resolves with its final message (or the failure that ended it). */
  stop(timeoutMs = 5000): Promise<EndedMessage | WorkerFailure> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL')
        reject(new Error('capture worker did not stop in time'))
      }, timeoutMs)
      const done = (m: EndedMessage | WorkerFailure) => {
        clearTimeout(timer)
        resolve(m)
      }
      this.once('ended', done)
      this.once('failure', done)
      this.once('exit', () => {
        clearTimeout(timer)
        resolve({
          type: 'error',
          ok: false,
          code: 'CAPTURE_FAILED',
          message: 'capture worker exited',
        })
      })
      this.post({ type: 'stop' })
    })
  }

  /** Resolves when the worker ends on its own (end of file) or fails. */
  done(): Promise<EndedMessage | WorkerFailure> {
    return new Promise((resolve) => {
      this.once('ended', resolve)
      this.once('failure', resolve)
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  private post(message: ToWorker): void {
    if (!this.exited && this.child.connected) this.child.send(message)
  }

  private receive(raw: unknown): void {
    const parsed = FromWorker.safeParse(raw)
    if (!parsed.success) {
      this.emit('failure', {
        type: 'error',
        ok: false,
        code: 'CAPTURE_FAILED',
        message: `invalid message from capture worker: ${parsed.error.issues[0]?.message ?? ''}`,
      })
      return
    }
    const m = parsed.data
    switch (m.type) {
      case 'started':
        this.emit('started', m)
        break
      case 'tick':
        // Acknowledge after listeners ran: a slow consumer makes the worker skip ticks, not queue them.
        this.emit('tick', m)
        this.post({ type: 'ack', seq: m.seq })
        break
      case 'error':
        this.emit('failure', m)
        break
      case 'ended':
        this.emit('ended', m)
        break
    }
  }
}
