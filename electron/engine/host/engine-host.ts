/**
 * The desktop engine host: runs the Monitor (bandwidth, capture and probe clients, history) and
 * answers main's parent-port messages. Plain Node; in the desktop app it is an Electron utility
 * process and the parent port is `process.parentPort`.
 */
import type { Monitor } from '../monitor'
import { serveClientPort } from './client-port'
import { streamExportToPort } from './export-port'
import { ToEngine } from './messages'
import type { ParentPort } from './ports'
import { parentNotifier, type Notifier } from './parent-notifier'
import { portLauncher, type PortLauncher } from './port-launcher'

export interface EngineHost {
  readonly launcher: PortLauncher
  /** Resolves once a `shutdown` message has stopped the monitor. */
  readonly stopped: Promise<void>
}

/** What the desktop gives the engine: workers started through main, notifications shown by main. */
export interface HostServices {
  launcher: PortLauncher
  notifier: Notifier
}

export function runEngineHost(
  parent: ParentPort,
  createMonitor: (services: HostServices) => Monitor,
): EngineHost {
  const launcher = portLauncher(parent)
  const monitor = createMonitor({ launcher, notifier: parentNotifier(parent) })
  const clients = new Set<() => void>()
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  parent.on('message', (e) => {
    const parsed = ToEngine.safeParse(e.data)
    const port = e.ports[0]
    if (!parsed.success) {
      port?.close()
      return
    }
    const m = parsed.data
    switch (m.type) {
      case 'client':
        if (!port) return
        {
          // A renderer that reloads or closes closes its port: forget it then.
          const close = serveClientPort(port, monitor.handlers, monitor.events, () =>
            clients.delete(close),
          )
          clients.add(close)
        }
        return
      case 'export':
        if (port)
          streamExportToPort(port, monitor.history?.redeem(m.ticket, !m.head) ?? null, m.head)
        return
      case 'worker.port':
        if (port) launcher.attached(m.id, port, m.pid)
        return
      case 'worker.exit':
        launcher.exited(m.id, m.code, m.reason)
        return
      case 'shutdown':
        for (const close of clients) close()
        clients.clear()
        void monitor.stop().finally(stop)
        return
    }
  })
  monitor.start()
  parent.postMessage({ type: 'ready' })
  return { launcher, stopped }
}
