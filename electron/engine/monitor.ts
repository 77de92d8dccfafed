/**
 * The engine: one object per running Flowscope (desktop or serve). It samples the OS each tick,
 * keeps live state and answers the contract. Plain Node; never imports electron.
 */
import { version } from '../../package.json'
import { AlertEngine, type AlertEngineOptions } from './alerts/engine'
import { busiestWanted } from './alerts/series'
import { EngineError, type Handlers } from './api'
import { BandwidthMeter } from './bandwidth/meter'
import { EventBus } from './events'
import { FlowExportService, type FlowExportServiceOptions } from './flowexport/service'
import type { History } from './history'
import { ProbeTargetsStore } from './probes/targets-store'
import { LiveCapture } from './live-capture'
import { LiveProbes } from './live-probes'
import { checkProbeTargets } from './settings/check-targets'
import { EngineSettings } from './settings/settings'
import type { SettingsStore } from './settings/store'
import type { InterfaceCounters } from './sysnet/counters'
import { LinuxSysNet, type SysNet } from './sysnet/linux'
import type { RestartPolicy } from './workers/host'
import type { WorkerLauncher } from './workers/launcher'

export interface MonitorOptions {
  tickMs?: number
  sysnet?: SysNet
  /** Clock in milliseconds, monotonic; injectable for tests. */
  now?: () => number
  historyLength?: number
  /** How workers are started: fork under plain Node (default); the desktop app passes its utilityProcess launcher; tests a fake. */
  launcher?: WorkerLauncher
  /** Restarts of crashed workers (default: WorkerHost's policy); false: none. */
  restart?: Partial<RestartPolicy> | false
  /** Total probes per second (serve --max-probe-rate; never changed over the API). */
  maxProbeRate?: number
  /** Opens the history store on the monitor's events (serve and desktop do; tests may not). */
  history?: (events: EventBus) => History
  /** Alert rules store, notifier and webhook options (otherwise: the default rules, in memory). */
  alerts?: AlertEngineOptions
  /** Where the operator's settings are kept (null or absent: in memory only, as with --no-store). */
  settings?: SettingsStore | null
  /** Where the flow export setting is kept and serve's --export (otherwise: off, in memory). */
  flowExport?: FlowExportServiceOptions
}

/** The kernel counters of the last tick and when they were read (ms since the epoch). */
export interface LastCounters {
  at_ms: number
  counters: ReadonlyMap<string, InterfaceCounters>
}

export class Monitor {
  readonly events = new EventBus()
  readonly tickMs: number
  private readonly sysnet: SysNet
  private readonly now: () => number
  private readonly bandwidth: BandwidthMeter
  readonly capture: LiveCapture
  readonly history: History | null
  readonly probes: LiveProbes
  readonly alerts: AlertEngine
  readonly settings: EngineSettings
  readonly flowExport: FlowExportService
  /** The Probes page's kept targets, beside the history (memory only without a store). */
  private readonly targets = new ProbeTargetsStore(() => this.history?.status().path ?? null)
  private counters: LastCounters | null = null
  private timer: NodeJS.Timeout | null = null
  private lastError: string | null = null

  constructor(opts: MonitorOptions = {}) {
    this.settings = new EngineSettings(this.events, opts.settings ?? null)
    // The stored tick applies from this start on; an explicit one (tests) wins.
    this.tickMs = opts.tickMs ?? this.settings.value.tick_ms
    this.settings.setRunningTick(this.tickMs)
    this.sysnet = opts.sysnet ?? new LinuxSysNet()
    this.now = opts.now ?? (() => performance.now())
    this.history = opts.history?.(this.events) ?? null
    const workers = {
      ...(opts.launcher && { launcher: opts.launcher }),
      ...(opts.restart !== undefined && { restart: opts.restart }),
    }
    this.flowExport = new FlowExportService(opts.flowExport)
    this.capture = new LiveCapture(this.events, {
      ...workers,
      tickMs: this.tickMs,
      // Reverse DNS names: the stored setting (iftop's `n`; capture.setResolve keeps it in step).
      resolve: this.settings.value.resolve_names,
      // History off (--no-store, or the store failed to open): the worker sends no deltas at all.
      record: () => {
        const history = this.history
        return history?.status().recording ? (deltas) => history.recordFlows(deltas) : null
      },
      export: () => this.flowExport.exportOptions(),
    })
    // A new export setting takes effect by restarting a running capture (its worker exports).
    // A restart that fails says so in its capture.state event; the setting stands.
    this.flowExport.onChange = () => this.capture.restart().catch(() => this.capture.state())
    this.probes = new LiveProbes(this.events, {
      ...workers,
      tickMs: this.tickMs,
      record: (samples, time_us) => this.history?.recordProbes(samples, time_us),
      ...(opts.maxProbeRate !== undefined && { maxRate: opts.maxProbeRate }),
    })
    this.alerts = new AlertEngine(this.events, {
      record: (a) => this.history?.recordAlert(a),
      // Rules on host or conversation rates need the whole table's busiest in each capture tick.
      onRules: (config) => this.capture.setBusiest(busiestWanted(config)),
      ...opts.alerts,
    })
    const speeds = new Map<string, number | null>()
    this.bandwidth = new BandwidthMeter(opts.historyLength ?? 300, (name) => {
      if (!speeds.has(name)) {
        const info = this.sysnet.listInterfaces().find((i) => i.name === name)
        speeds.set(name, info?.speed_mbps ? (info.speed_mbps * 1e6) / 8 : null)
      }
      return speeds.get(name) ?? null
    })
  }

  start(): void {
    if (this.timer) return
    this.sample()
    this.timer = setInterval(() => this.sample(), this.tickMs)
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await Promise.all([this.capture.stop(), this.probes.stop(), this.alerts.close()])
    this.flowExport.close()
    this.sysnet.close?.()
    this.history?.close()
    this.targets.close()
    this.settings.close()
  }

  /** Reads the counters once and publishes a tick. Public so tests can drive time themselves. */
  sample(): void {
    let counters
    try {
      const at_ms = Date.now()
      counters = this.sysnet.readCounters()
      this.counters = { at_ms, counters }
      this.lastError = null
    } catch (err) {
      // Keep ticking: a transient read failure must not kill the monitor.
      this.lastError = err instanceof Error ? err.message : String(err)
      return
    }
    const time = new Date().toISOString()
    const { rates, appeared, vanished } = this.bandwidth.sample(counters, this.now(), time)
    this.events.emit('bandwidth.tick', { time, interfaces: rates })
    if (appeared.length || vanished.length)
      this.events.emit('interfaces.changed', { names: [...counters.keys()].sort() })
  }

  readonly handlers: Handlers = {
    'app.info': (_p, ctx) => ({
      name: 'Flowscope',
      version,
      transport: ctx.transport,
      platform: process.platform,
      tick_ms: this.tickMs,
    }),
    'interfaces.list': () => this.sysnet.listInterfaces(),
    'bandwidth.history': () => this.bandwidth.history(this.tickMs),
    'capture.start': (p) => {
      this.keepResolve(p.resolve)
      return this.capture.start(p.iface, p.filter, p.resolve)
    },
    'capture.view': (v, ctx) => (this.capture.setView(v, ctx.client), { ok: true as const }),
    'capture.openFile': (p, ctx) => {
      // Only the desktop app names files on this machine; a browser uploads (serve mode).
      if (ctx.transport !== 'ipc')
        throw new EngineError(
          'BAD_REQUEST',
          'a browser cannot open files by path: upload the file (POST /api/capture-file)',
        )
      return this.capture.openFile({
        kind: 'file',
        path: p.path,
        name: p.path,
        ...(p.filter !== undefined && { filter: p.filter }),
      })
    },
    'capture.setResolve': (p) => {
      this.keepResolve(p.resolve)
      return this.capture.setResolve(p.resolve)
    },
    'capture.stop': () => this.capture.stop(),
    'capture.state': () => this.capture.state(),
    'probes.start': (p) => this.probes.start(p.targets),
    'probes.stop': () => this.probes.stop(),
    'probes.state': () => this.probes.state(),
    'probes.targets.get': () => this.targets.get(),
    'probes.targets.set': (p) => this.targets.set(checkProbeTargets(p)),
    'history.status': () => this.requireHistory().status(),
    'history.query': (q, ctx) => this.requireHistory().query(q, ctx.signal),
    'history.probes': (q, ctx) => this.requireHistory().probes(q, ctx.signal),
    'history.alerts': (q, ctx) => this.requireHistory().alerts(q, ctx.signal),
    'history.export': (p) => this.requireHistory().exportTicket(p.query, p.format),
    'history.retention': () => this.requireHistory().retention(),
    'history.setRetention': (p) => this.requireHistory().setRetention(p),
    'alerts.list': () => this.alerts.list(),
    'alerts.rules.get': () => this.alerts.rules(),
    'alerts.rules.set': (p) => this.alerts.setRules(p),
    'settings.get': () => this.settings.state(),
    'settings.set': (p) => {
      const state = this.settings.set(p)
      // Names on or off from the Settings page reach a running capture at once.
      if (p.resolve_names !== undefined && p.resolve_names !== this.capture.state().resolve)
        void this.capture.setResolve(p.resolve_names).catch(() => undefined)
      return state
    },
    'flowexport.get': () => this.flowExport.get(),
    'flowexport.set': (p) => this.flowExport.set(p),
  }

  /** The kernel counters read on the last tick (for the Prometheus exposition). */
  get lastCounters(): LastCounters | null {
    return this.counters
  }

  /** A capture's names switch is the operator's setting too (kept, and shown on Settings). */
  private keepResolve(resolve: boolean | undefined): void {
    if (resolve !== undefined && resolve !== this.settings.value.resolve_names)
      this.settings.set({ resolve_names: resolve })
  }

  private requireHistory(): History {
    if (!this.history)
      throw new EngineError('UNAVAILABLE', 'history is off in this session (--no-store)')
    return this.history
  }

  get error(): string | null {
    return this.lastError
  }
}
