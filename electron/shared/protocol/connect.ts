/**
 * Worker side of the channel to the engine host, whatever started the worker:
 *  - child_process.fork (plain Node: serve, CLI, tests): process.send / 'message' / 'disconnect';
 *  - Electron utilityProcess: process.parentPort. If the first parentPort message transfers a
 *    MessagePort (event.ports[0]), that port carries all traffic from then on: Electron main
 *    hands the worker a port to the engine host and carries no data itself.
 */

export interface HostPort {
  /** Sends one message; `sent` runs once it has left this process (or could not be sent). */
  send(message: unknown, sent?: () => void): void
  onMessage(handler: (message: unknown) => void): void
  /** The host went away: nobody is left to report to. */
  onClose(handler: () => void): void
}

/** Electron's MessagePortMain / parentPort, reduced to what we use (no electron import here). */
interface ElectronPort {
  postMessage(message: unknown): void
  on(event: 'message', handler: (e: { data: unknown; ports?: ElectronPort[] }) => void): void
  on(event: 'close', handler: () => void): void
  start?(): void
}

/** Electron posts asynchronously and offers no completion callback: give it a moment. */
const ELECTRON_FLUSH_MS = 50

function electronPort(parent: ElectronPort): HostPort {
  const handlers: Array<(m: unknown) => void> = []
  const closers: Array<() => void> = []
  let port: ElectronPort | null = null
  const deliver = (m: unknown) => handlers.forEach((h) => h(m))
  parent.on('message', (e) => {
    const transferred = e.ports?.[0]
    if (!port && transferred) {
      port = transferred
      port.on('message', (ev) => deliver(ev.data))
      port.on('close', () => closers.forEach((h) => h()))
      port.start?.()
      return
    }
    // Before any port arrives, data travels on parentPort itself.
    deliver(e.data)
  })
  return {
    send: (m, sent) => {
      ;(port ?? parent).postMessage(m)
      if (sent) setTimeout(sent, ELECTRON_FLUSH_MS)
    },
    onMessage: (h) => void handlers.push(h),
    onClose: (h) => void closers.push(h),
  }
}

/** Connects to the host, or returns null when this process was not started as a worker. */
export function connectToHost(): HostPort | null {
  const parent = (process as unknown as { parentPort?: ElectronPort }).parentPort
  if (parent) return electronPort(parent)
  if (!process.send) return null
  return {
    send: (m, sent) => {
      if (!process.connected) return sent?.()
      try {
        process.send!(m, undefined, {}, () => sent?.())
      } catch {
        sent?.()
      }
    },
    onMessage: (h) => void process.on('message', h),
    onClose: (h) => void process.on('disconnect', h),
  }
}
