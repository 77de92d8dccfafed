/**
 * WorkerLauncher for the desktop engine host. Electron starts utility processes from main only,
 * so launching a worker is a request to main; main answers with one end of a MessageChannelMain
 * whose other end the worker holds. From then on the worker's traffic never passes through main.
 */
import type { WorkerChannel, WorkerLauncher, WorkerName } from '../workers/launcher'
import type { FromEngine } from './messages'
import type { ParentPort, Port } from './ports'

/** Messages posted before the worker's port arrives (a start message or two); bounded. */
const MAX_QUEUED = 64

interface Pending {
  channel: PortWorkerChannel
}

class PortWorkerChannel implements WorkerChannel {
  private port: Port | null = null
  private queue: unknown[] = []
  private exited = false
  private readonly messageHandlers: Array<(m: unknown) => void> = []
  private readonly exitHandlers: Array<(code: number | null, reason: string | null) => void> = []
  pid: number | undefined = undefined

  constructor(
    readonly id: number,
    private readonly send: (m: FromEngine) => void,
  ) {}

  postMessage(message: unknown): void {
    if (this.exited) return
    if (this.port) this.port.postMessage(message)
    else if (this.queue.length < MAX_QUEUED) this.queue.push(message)
    else this.fail('worker did not start in time (message queue full)')
  }

  onMessage(handler: (message: unknown) => void): void {
    this.messageHandlers.push(handler)
  }

  onExit(handler: (code: number | null, reason: string | null) => void): void {
    this.exitHandlers.push(handler)
  }

  kill(): void {
    if (!this.exited) this.send({ type: 'worker.kill', id: this.id })
  }

  attach(port: Port, pid: number | null): void {
    if (this.exited) {
      port.close()
      return
    }
    this.port = port
    this.pid = pid ?? undefined
    port.on('message', (e) => {
      for (const h of this.messageHandlers) h(e.data)
    })
    port.start()
    for (const m of this.queue) port.postMessage(m)
    this.queue = []
  }

  exit(code: number | null, reason: string | null): void {
    if (this.exited) return
    this.exited = true
    this.queue = []
    this.port?.close()
    for (const h of this.exitHandlers) h(code, reason)
  }

  private fail(reason: string): void {
    this.kill()
    this.exit(null, reason)
  }
}

export interface PortLauncher {
  launch: WorkerLauncher
  /** Feed main's `worker.port` / `worker.exit` messages here. */
  attached(id: number, port: Port, pid: number | null): void
  exited(id: number, code: number | null, reason: string | null): void
  /** Workers asked for and not yet gone. */
  readonly live: number
}

export function portLauncher(parent: Pick<ParentPort, 'postMessage'>): PortLauncher {
  const workers = new Map<number, Pending>()
  let nextId = 1
  const send = (m: FromEngine) => parent.postMessage(m)
  return {
    launch(name: WorkerName): WorkerChannel {
      const id = nextId++
      const channel = new PortWorkerChannel(id, send)
      workers.set(id, { channel })
      channel.onExit(() => workers.delete(id))
      send({ type: 'worker.spawn', id, name })
      return channel
    },
    attached(id, port, pid) {
      const w = workers.get(id)
      if (w) w.channel.attach(port, pid)
      else port.close() // a worker we no longer want: closing its port ends it
    },
    exited(id, code, reason) {
      workers.get(id)?.channel.exit(code, reason)
    },
    get live() {
      return workers.size
    },
  }
}
