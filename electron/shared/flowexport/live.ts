/**
 * The exporter of a live capture in the capture worker: started with the capture's flow table,
 * its statistics carried on every tick's health as the contract's ExportHealth, flushed and
 * closed when the capture ends. A collector that is down only shows here as errors or drops.
 */
import type { CaptureHealth, ExportHealth } from '../../../common/contract'
import type { Aggregator } from '../flows/aggregator'
import { FlowExporter, type FlowExportStats } from './exporter'
import { interfaceIndex } from './ifindex'
import type { FlowExportOptions } from './options'

type State = ExportHealth['collectors'][number]['state']

export class LiveExport {
  private readonly exporter: FlowExporter
  /** Per collector: counts at the previous report and the state they gave. */
  private readonly seen: Array<{ errors: number; sent: number; state: State }>

  /** `iface`: the live interface (its index becomes ingressInterface), null for a file. */
  constructor(
    options: FlowExportOptions,
    iface: string | null,
    private readonly aggregator: Aggregator,
  ) {
    this.exporter = new FlowExporter({
      ...options,
      ingressInterface: options.ingressInterface ?? (iface ? interfaceIndex(iface) : 0),
    })
    this.seen = options.collectors.map(() => ({ errors: 0, sent: 0, state: 'connecting' }))
    aggregator.attachExport(this.exporter)
  }

  /**
   * Collector state from what happened since the last report: new send errors make it down,
   * new messages sent make it up; nothing new keeps the previous state (a quiet capture sends
   * nothing). Not connected with an error (TCP refused, UDP name not resolved) is down.
   */
  health(s: FlowExportStats = this.exporter.stats()): ExportHealth {
    return {
      records: s.records,
      messages: s.messagesSent,
      bytes: s.bytesSent,
      send_errors: s.sendErrors,
      dropped: s.dropped,
      collectors: s.collectors.map((c, i) => {
        const seen = this.seen[i]!
        let state = seen.state
        if (!c.connected) state = c.lastError ? 'down' : 'connecting'
        else if (c.sendErrors > seen.errors) state = 'down'
        else if (c.messagesSent > seen.sent || state === 'connecting') state = 'up'
        this.seen[i] = { errors: c.sendErrors, sent: c.messagesSent, state }
        return { url: c.url, state, last_error: c.lastError }
      }),
    }
  }

  /** The capture's health with the export block added. */
  withHealth(stats: CaptureHealth | null): CaptureHealth {
    return {
      ...(stats ?? { received: 0, dropped_kernel: 0, dropped_interface: 0 }),
      export: this.health(),
    }
  }

  /** End of capture: every remaining record, then a bounded wait for the messages to leave. */
  async finish(timeoutMs = 2000): Promise<void> {
    this.aggregator.finishExport()
    await this.exporter.close(timeoutMs)
  }

  /** Closes the sockets at once (a capture that failed). */
  close(): void {
    void this.exporter.close(0)
  }
}
