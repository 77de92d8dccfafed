/**
 * Live capture for the UI (iftop view): one capture worker at a time, its ticks republished as
 * contract events and its conversation deltas handed to history. Start and stop go through one
 * queue, so any interleaving of starts, stops and crashes leaves at most one worker, and every
 * `capture.state` event says what is really running (a crash: active false with the reason;
 * back after the restart: active true again).
 */
import { basename } from 'node:path'
import { rm } from 'node:fs/promises'
import type { ConnectionsView } from '../../common/capture'
import type { CaptureState } from '../../common/contract'
import { EngineError, type ClientRef } from './api'
import { captureHost, type CaptureHost } from './capture/worker'
import type { EventBus } from './events'
import type { FlowDelta } from '../shared/capture/pipeline'
import type { FlowExportOptions } from '../shared/flowexport/options'
import {
  MAX_VIEWS,
  type BusiestMessage,
  type ClientViews,
  type ResolveMessage,
  type StartMessage,
  type ViewMessage,
  type WorkerSource,
} from '../shared/protocol/capture'
import type { WorkerLauncher } from './workers/launcher'
import { WorkerStartError, type RestartPolicy } from './workers/host'
import { SerialQueue } from './workers/serial'

/** Receives one tick's conversation deltas (history). */
export type FlowSink = (deltas: readonly FlowDelta[]) => void

/** The one options type of LiveCapture. */
export interface LiveCaptureOptions {
  tickMs?: number
  /** How workers are started (default: fork of out/main/capture.js). */
  launcher?: WorkerLauncher
  /** Restarts after a crash; false: none. */
  restart?: Partial<RestartPolicy> | false
  /**
   * History's sink, asked at each start; null while history is off (the worker then collects and
   * sends no conversation deltas at all).
   */
  record?: () => FlowSink | null
  /** Reverse DNS names at first (default true: the UI shows names, as iftop does). */
  resolve?: boolean
  /** DNS servers for reverse lookups (default: FLOWSCOPE_DNS_SERVERS in the worker, else the system's). */
  dnsServers?: string[]
  /** Flow export options for the worker, asked at each start; null: export off. */
  export?: () => FlowExportOptions | null
}

/**
 * Top conversations in each tick's snapshot (alerts, metrics, clients without a view). Each
 * Connections page asks for its own rows over the whole table (`setView`), so this stays small
 * and so does every `capture.tick`.
 */
const TICK_TOP = 20

/** Where a capture reads from: an interface, or a file opened in the UI (kept open at its end). */
export type CaptureInput =
  | { kind: 'live'; iface: string; filter?: string }
  | {
      kind: 'file'
      path: string
      /** What the UI calls it (an upload's original name). */
      name: string
      filter?: string
      /** A temporary copy (an upload): removed when this capture is stopped or replaced. */
      removeAfter?: boolean
    }

/** The view id of in-process callers (no connection). */
const LOCAL_CLIENT = 'local'

const resolveMessage = (on: boolean): ResolveMessage => ({ type: 'resolve', on })

const engineCode = (code: string): EngineError['code'] =>
  code === 'PERMISSION_DENIED'
    ? 'PERMISSION_DENIED'
    : code === 'BAD_FILTER'
      ? 'BAD_REQUEST'
      : code === 'NO_SUCH_DEVICE'
        ? 'NOT_FOUND'
        : 'UNAVAILABLE'

export class LiveCapture {
  private host: CaptureHost | null = null
  /**
   * Each client's Connections view by client id, kept across captures (a BPF change keeps what
   * every page shows); a client's goes when its connection closes. At most MAX_VIEWS.
   */
  private readonly views = new Map<string, { view: ConnectionsView; drop: (() => void) | null }>()
  /** Busiest hosts and conversations per tick that alert rules want (setBusiest). */
  private busiest = 0
  /** A temporary file to remove once its capture is over. */
  private tempFile: string | null = null
  /** The running live capture's input (restart()); null for a file or nothing. */
  private input: Extract<CaptureInput, { kind: 'live' }> | null = null
  private readonly queue = new SerialQueue()
  private current: CaptureState = {
    active: false,
    iface: null,
    filter: null,
    started_at: null,
    error: null,
  }
  private resolve: boolean

  constructor(
    private readonly events: EventBus,
    private readonly opts: LiveCaptureOptions = {},
  ) {
    this.resolve = opts.resolve ?? true
    this.current.resolve = this.resolve
  }

  state(): CaptureState {
    return { ...this.current }
  }

  /** The running worker's process id (tests, diagnostics). */
  get pid(): number | undefined {
    return this.host?.pid
  }

  /**
   * Stops any running capture, then starts one; resolves once the worker is capturing.
   * `resolve` changes the reverse DNS setting (kept for later captures).
   */
  start(iface: string, filter?: string, resolve?: boolean): Promise<CaptureState> {
    return this.queue.run(() => {
      if (resolve !== undefined) this.resolve = resolve
      return this.doStart({ kind: 'live', iface, ...(filter !== undefined && { filter }) })
    })
  }

  /** Stops any running capture, then reads a pcap/pcapng file into the same table. */
  openFile(input: Extract<CaptureInput, { kind: 'file' }>): Promise<CaptureState> {
    return this.queue.run(() => this.doStart(input))
  }

  /**
   * A client's Connections view: sent to the running worker at once and to every later capture;
   * its rows go to that client alone. Dropped when `client.gone` aborts. A client beyond the
   * MAX_VIEWS that have one is refused (UNAVAILABLE) rather than take another client's view away.
   * In-process callers (no client) share the id `local`.
   */
  setView(view: ConnectionsView, client?: ClientRef): void {
    const id = client?.id ?? LOCAL_CLIENT
    const had = this.views.get(id)
    if (had) had.view = view
    else {
      if (client?.gone.aborted) return
      if (this.views.size >= MAX_VIEWS)
        throw new EngineError(
          'UNAVAILABLE',
          `at most ${MAX_VIEWS} clients may have a Connections view at once; close another page or tab`,
        )
      const gone = client?.gone
      const onGone = () => this.dropView(id)
      gone?.addEventListener('abort', onGone, { once: true })
      this.views.set(id, {
        view,
        drop: gone ? () => gone.removeEventListener('abort', onGone) : null,
      })
    }
    this.sendViews()
  }

  /** A client's view goes (its connection closed): the worker stops computing it. */
  dropView(id: string): void {
    const had = this.views.get(id)
    if (!had) return
    had.drop?.()
    this.views.delete(id)
    this.sendViews()
  }

  /** Client ids with a view (tests, diagnostics). */
  viewClients(): string[] {
    return [...this.views.keys()]
  }

  private viewSet(): ClientViews {
    return Object.fromEntries([...this.views].map(([id, v]) => [id, v.view]))
  }

  private sendViews(): void {
    const message: ViewMessage = { type: 'view', views: this.viewSet() }
    this.host?.send(message)
  }

  /**
   * How many of the whole table's busiest hosts and conversations each tick carries (alert rules
   * on host or conversation metrics ask for them; none are computed otherwise): in the running
   * capture at once, and for the next ones.
   */
  setBusiest(n: number): void {
    if (n === this.busiest) return
    this.busiest = n
    const message: BusiestMessage = { type: 'busiest', n }
    this.host?.send(message)
  }

  /** Reverse DNS on or off: in the running capture at once, and for the next ones. */
  setResolve(resolve: boolean): Promise<CaptureState> {
    return this.queue.run(async () => {
      this.resolve = resolve
      this.host?.send(resolveMessage(resolve))
      this.set({ ...this.current, resolve })
      return this.state()
    })
  }

  /**
   * Restarts a running live capture on the same interface and filter, keeping the Connections
   * view (the flow export setting changed: the worker's exporter takes its options at start).
   * Nothing running, or a file (never exported): nothing to do.
   */
  restart(): Promise<CaptureState> {
    return this.queue.run(async () => {
      const input = this.input
      if (!this.host || !this.current.active || input?.kind !== 'live') return this.state()
      return this.doStart(input)
    })
  }

  /** Resolves once the worker has exited. */
  stop(): Promise<CaptureState> {
    return this.queue.run(() => this.doStop())
  }

  private async doStart(input: CaptureInput): Promise<CaptureState> {
    await this.doStop()
    const filter = input.filter
    const file = input.kind === 'file'
    this.input = file ? null : input
    if (file && input.removeAfter) this.tempFile = input.path
    // A file is an analysis, not traffic on this host: not filed in history, not exported.
    const sink = file ? null : (this.opts.record?.() ?? null)
    const exp = file ? null : (this.opts.export?.() ?? null)
    const source: WorkerSource = file
      ? { kind: 'file', path: input.path, ...(filter !== undefined && { filter }) }
      : { kind: 'live', iface: input.iface, ...(filter !== undefined && { filter }) }
    const start: StartMessage = {
      type: 'start',
      source,
      tickMs: this.opts.tickMs ?? 1000,
      top: TICK_TOP,
      record: sink !== null,
      resolve: this.resolve,
      ...(this.opts.dnsServers && { dnsServers: this.opts.dnsServers }),
      ...(exp && { export: exp }),
      ...(this.views.size > 0 && { views: this.viewSet() }),
      ...(this.busiest > 0 && { busiest: this.busiest }),
      ...(file && { hold: true }),
    }
    const host = captureHost({
      ...(this.opts.launcher && { launcher: this.opts.launcher }),
      ...(this.opts.restart !== undefined && { restart: this.opts.restart }),
      // After a crash: the views, names and flow export settings as they are now, not as they
      // were at the start (a setting changed while the worker waited to restart).
      restartMessage: () => {
        const { views: _then, export: _was, busiest: _asked, ...rest } = start
        const expNow = file ? null : (this.opts.export?.() ?? null)
        return {
          ...rest,
          resolve: this.resolve,
          ...(expNow && { export: expNow }),
          ...(this.views.size > 0 && { views: this.viewSet() }),
          ...(this.busiest > 0 && { busiest: this.busiest }),
        }
      },
    })
    this.host = host
    const iface = file ? `file:${basename(input.name)}` : input.iface
    const base = {
      iface,
      filter: filter ?? null,
      resolve: this.resolve,
      ...(file && { file: basename(input.name) }),
    }
    // Deltas are history whichever capture they come from (even one being replaced).
    host.on('tick', (m) => {
      if (m.deltas?.length) sink?.(m.deltas)
      if (this.host === host)
        this.events.emit('capture.tick', {
          iface,
          snapshot: m.snapshot,
          health: m.stats,
          skipped: m.skipped,
          ...(m.views && { views: m.views }),
          ...(m.to && { to: m.to }),
          ...(m.eof && { eof: true }),
          ...(base.file !== undefined && { file: base.file }),
        })
    })
    host.on('ended', (m) => {
      if (m.deltas?.length) sink?.(m.deltas)
      if (this.host !== host) return
      // Ended on its own (the interface went away): say so.
      this.host = null
      this.set({
        ...this.current,
        active: false,
        error: m.warning ? { code: 'CAPTURE_FAILED', message: m.warning } : null,
      })
    })
    let running = false
    let restarting = false
    host.on('state', (s) => {
      if (this.host !== host) return
      if (s.state === 'restarting') {
        restarting = true
        this.set({
          ...this.current,
          active: false,
          error: {
            code: 'WORKER_CRASHED',
            message: `${s.reason}; restarting in ${s.delay_ms / 1000} s (attempt ${s.attempt})`,
          },
        })
      } else if (s.state === 'running' && restarting) {
        restarting = false
        this.set({
          ...base,
          resolve: this.resolve,
          active: true,
          started_at: new Date().toISOString(),
          error: null,
        })
      } else if (s.state === 'failed' && running) {
        this.host = null
      }
    })
    // After the start: a failure as data (the worker's, or WORKER_CRASHED once restarts ran out).
    host.on('failure', (f) => {
      if (this.host === host && running)
        this.set({ ...this.current, active: false, error: { code: f.code, message: f.message } })
    })
    try {
      await host.start(start)
      running = true
      // The worker has the upload open: unlink it now, so even a killed engine leaves nothing
      // (a restart after a crash then reports the file gone).
      if (file && input.removeAfter && this.tempFile === input.path) {
        this.tempFile = null
        await rm(input.path, { force: true }).catch(() => {})
      }
    } catch (err) {
      if (this.host === host) this.host = null
      if (!(err instanceof WorkerStartError)) throw err
      const f = err.failure
      this.set({
        ...base,
        active: false,
        started_at: null,
        error: { code: f.code, message: f.message },
      })
      throw new EngineError(engineCode(f.code), f.message)
    }
    this.set({ ...base, active: true, started_at: new Date().toISOString(), error: null })
    return this.state()
  }

  private async doStop(): Promise<CaptureState> {
    const host = this.host
    this.host = null
    if (host) {
      await host.stop()
      this.set({ ...this.current, active: false })
    }
    const temp = this.tempFile
    this.tempFile = null
    if (temp) await rm(temp, { force: true }).catch(() => {})
    return this.state()
  }

  private set(state: CaptureState): void {
    this.current = state
    this.events.emit('capture.state', this.state())
  }
}
