/**
 * Live capture for the UI (iftop view): one capture worker at a time, its ticks republished as
 * contract events. The worker process isolates libpcap from the engine; its failures arrive as data.
 */
import type { ConversationRecord } from '../../common/capture'
import type { CaptureState } from '../../common/contract'
import { EngineError } from './api'
import { CaptureClient } from './capture/client'
import type { StartMessage, WorkerFailure } from '../shared/protocol/capture'
import type { EventBus } from './events'

export type LaunchCapture = (start: Omit<StartMessage, 'type'>) => CaptureClient

/** Conversations per tick sent to the UI; the table virtualises rows, so this can be generous. */
const UI_TOP = 1000

const engineCode = (code: string): EngineError['code'] =>
  code === 'PERMISSION_DENIED'
    ? 'PERMISSION_DENIED'
    : code === 'BAD_FILTER'
      ? 'BAD_REQUEST'
      : code === 'NO_SUCH_DEVICE'
        ? 'NOT_FOUND'
        : 'UNAVAILABLE'

export class LiveCapture {
  private client: CaptureClient | null = null
  private current: CaptureState = {
    active: false,
    iface: null,
    filter: null,
    started_at: null,
    error: null,
  }

  constructor(
    private readonly events: EventBus,
    private readonly launch: LaunchCapture = (start) => CaptureClient.start(start),
    private readonly tickMs = 1000,
    /** Receives every changed and ended conversation of each tick, for the history store. */
    private readonly onFlows: (
      active: ConversationRecord[],
      ended: ConversationRecord[],
    ) => void = () => {},
  ) {}

  state(): CaptureState {
    return { ...this.current }
  }

  async start(iface: string, filter?: string): Promise<CaptureState> {
    await this.stop()
    const client = this.launch({
      source: { kind: 'live', iface, filter },
      tickMs: this.tickMs,
      top: UI_TOP,
      record: true,
    })
    this.client = client
    const opened = await new Promise<true | WorkerFailure>((resolve) => {
      client.once('started', () => resolve(true))
      client.once('failure', resolve)
      client.once('exit', () =>
        resolve({
          type: 'error',
          ok: false,
          code: 'CAPTURE_FAILED',
          message: 'the capture worker exited',
        }),
      )
    })
    if (opened !== true) {
      this.client = null
      this.set({
        active: false,
        iface,
        filter: filter ?? null,
        started_at: null,
        error: { code: opened.code, message: opened.message },
      })
      throw new EngineError(engineCode(opened.code), opened.message)
    }
    client.on('tick', (m) => {
      if (m.flows) this.onFlows(m.flows.active, m.flows.ended)
      if (this.client === client)
        this.events.emit('capture.tick', {
          iface,
          snapshot: m.snapshot,
          health: m.stats,
          skipped: m.skipped,
        })
    })
    client.on('ended', (m) => {
      if (m.flows) this.onFlows(m.flows.active, m.flows.ended)
    })
    client.on('failure', (f) => {
      if (this.client === client)
        this.set({ ...this.current, active: false, error: { code: f.code, message: f.message } })
    })
    client.on('exit', () => {
      if (this.client !== client) return
      this.client = null
      this.set({ ...this.current, active: false })
    })
    this.set({
      active: true,
      iface,
      filter: filter ?? null,
      started_at: new Date().toISOString(),
      error: null,
    })
    return this.state()
  }

  async stop(): Promise<CaptureState> {
    const client = this.client
    this.client = null
    if (client) {
      await client.stop().catch(() => undefined)
      this.set({ ...this.current, active: false })
    }
    return this.state()
  }

  private set(state: CaptureState): void {
    this.current = state
    this.events.emit('capture.state', this.state())
  }
}
