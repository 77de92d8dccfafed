import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ProbeResult, ProbeSpec } from '../../../common/probes'
import { FromWorker, type ToWorker } from '../../shared/protocol/probe'

export interface ProbeClientEvents {
  started: []
  results: [results: ProbeResult[], counters: Record<string, { late: number; duplicates: number }>]
  fatal: [target: string, code: string, message: string]
  done: [lateness: FromWorker & { type: 'done' }]
  exit: [code: number | null]
}

/** The built worker entry (out/main/probe.js), beside this chunk or one level up. */
export function defaultWorkerPath(): string {
  for (const dir of [__dirname, join(__dirname, '..')]) {
    const file = join(dir, 'probe.js')
    if (existsSync(file)) return file
  }
  return join(__dirname, 'probe.js')
}

/**
 * Engine side of the probe worker: forks it, sends one 'start', and re-emits validated messages.
 * A worker that dies without 'done' produces 'exit' with its code (and 'fatal' if unexpected).
 */
export class ProbeClient extends EventEmitter<ProbeClientEvents> {
  private child: ChildProcess | null = null
  private finished = false

  constructor(private readonly workerPath = defaultWorkerPath()) {
    super()
  }

  start(specs: ProbeSpec[], concurrency = 256): void {
    if (this.child) throw new Error('already started')
    const child = fork(this.workerPath, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    this.child = child
    child.on('message', (raw) => {
      const parsed = FromWorker.safeParse(raw)
      if (!parsed.success) {
        this.emit(
          'fatal',
          '*',
          'INTERNAL',
          `probe worker sent a bad message: ${parsed.error.issues[0]?.message}`,
        )
        return
      }
      const m = parsed.data
      if (m.type === 'started') this.emit('started')
      else if (m.type === 'results') this.emit('results', m.results, m.counters)
      else if (m.type === 'fatal') {
        this.finished = true
        this.emit('fatal', m.target, m.code, m.message)
      } else {
        this.finished = true
        this.emit('done', m)
      }
    })
    child.on('exit', (code, signal) => {
      if (!this.finished) {
        this.finished = true
        this.emit(
          'fatal',
          '*',
          'INTERNAL',
          `probe worker exited unexpectedly (${signal ?? `code ${code}`})`,
        )
      }
      this.emit('exit', code)
    })
    this.send({ type: 'start', specs, concurrency })
  }

  /** Asks the worker to finish early; 'done' follows once the probes in flight have ended. */
  stop(): void {
    this.send({ type: 'stop' })
  }

  /** Ends the worker now (an expected end: no 'fatal'). */
  kill(): void {
    this.finished = true
    this.child?.kill()
  }

  private send(msg: ToWorker): void {
    if (this.child?.connected) this.child.send(msg)
  }
}
