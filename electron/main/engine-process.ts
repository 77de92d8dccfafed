/**
 * Main's side of the engine host: starts it as a utility process (out/main/engine.js), restarts it
 * with backoff when it dies, starts the workers it asks for (Electron starts utility processes from
 * main only) and gives each pair one end of a MessageChannelMain. Main carries no data: renderer,
 * tray, export and worker traffic all run over ports.
 */
import { EventEmitter } from 'node:events'
import {
  MessageChannelMain,
  utilityProcess,
  type MessagePortMain,
  type UtilityProcess,
} from 'electron'
import { FromEngine, type ToEngine } from '../engine/host/messages'
import type { WorkerName } from '../engine/workers/launcher'
import { Backoff } from './backoff'

export interface EngineProcessEvents {
  /** The engine host (re)started and answers on new ports: reconnect clients. */
  ready: []
  exit: [code: number]
  notify: [title: string, body: string]
}

export interface EngineProcessOptions {
  engineEntry: string
  workerEntry: (name: WorkerName) => string
  backoff?: Backoff
}

interface Worker {
  proc: UtilityProcess
  name: WorkerName
  killed: boolean
}

export class EngineProcess extends EventEmitter<EngineProcessEvents> {
  private proc: UtilityProcess | null = null
  private readonly workers = new Map<number, Worker>()
  private readonly backoff: Backoff
  private restartTimer: NodeJS.Timeout | null = null
  private stopping = false
  private isReady = false

  constructor(private readonly opts: EngineProcessOptions) {
    super()
    this.backoff = opts.backoff ?? new Backoff()
  }

  get ready(): boolean {
    return this.isReady
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  start(): void {
    if (this.proc || this.stopping) return
    this.backoff.started()
    const proc = utilityProcess.fork(this.opts.engineEntry, [], {
      serviceName: 'flowscope-engine',
      stdio: 'inherit',
    })
    this.proc = proc
    proc.on('message', (data: unknown) => this.receive(proc, data))
    proc.on('exit', (code: number) => this.exited(proc, code))
  }

  /** Hands the engine host one end of a contract channel; false while it is not running. */
  connect(name: string, port: MessagePortMain): boolean {
    return this.post({ type: 'client', name }, port)
  }

  /** Hands the engine host a port to stream the export reserved under `ticket`. */
  openExport(ticket: string, port: MessagePortMain, head = false): boolean {
    return this.post({ type: 'export', ticket, head }, port)
  }

  /** Asks the engine host to stop (history closed cleanly), killing it after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const proc = this.proc
    if (!proc) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill()
        resolve()
      }, timeoutMs)
      proc.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      this.post({ type: 'shutdown' })
    })
  }

  private post(message: ToEngine, port?: MessagePortMain): boolean {
    if (!this.proc || !this.isReady) {
      port?.close()
      return false
    }
    this.proc.postMessage(message, port ? [port] : [])
    return true
  }

  private receive(proc: UtilityProcess, data: unknown): void {
    if (proc !== this.proc) return
    const parsed = FromEngine.safeParse(data)
    if (!parsed.success) return
    const m = parsed.data
    switch (m.type) {
      case 'ready':
        this.isReady = true
        this.emit('ready')
        return
      case 'worker.spawn':
        this.spawnWorker(m.id, m.name)
        return
      case 'worker.kill': {
        const w = this.workers.get(m.id)
        if (w) {
          w.killed = true
          w.proc.kill()
        }
        return
      }
      case 'notify':
        this.emit('notify', m.title, m.body)
        return
    }
  }

  private spawnWorker(id: number, name: WorkerName): void {
    if (this.workers.has(id)) return
    const proc = utilityProcess.fork(this.opts.workerEntry(name), [], {
      serviceName: `flowscope-${name}`,
      stdio: 'inherit',
    })
    const worker: Worker = { proc, name, killed: false }
    this.workers.set(id, worker)
    proc.once('spawn', () => {
      const { port1, port2 } = new MessageChannelMain()
      // The worker's connectToHost() takes its end from the first message; all traffic follows.
      proc.postMessage({ type: 'connect' }, [port2])
      this.post({ type: 'worker.port', id, pid: proc.pid ?? null }, port1)
    })
    proc.once('exit', (code: number) => {
      this.workers.delete(id)
      const reason = worker.killed ? 'killed' : code === 0 ? null : `exited with code ${code}`
      this.post({ type: 'worker.exit', id, code, reason })
    })
  }

  private exited(proc: UtilityProcess, code: number): void {
    if (proc !== this.proc) return
    this.proc = null
    this.isReady = false
    // The workers belong to the engine host that asked for them.
    for (const w of this.workers.values()) {
      w.killed = true
      w.proc.kill()
    }
    this.workers.clear()
    this.emit('exit', code)
    if (this.stopping) return
    const delay = this.backoff.next()
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      this.start()
    }, delay)
  }
}
