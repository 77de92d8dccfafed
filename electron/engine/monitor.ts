/**
 * The engine: one object per running Flowscope (desktop or serve). It samples the OS each tick,
 * keeps live state and answers the contract. Plain Node; never imports electron.
 */
import { version } from '../../package.json'
import { EngineError, type Handlers } from './api'
import { BandwidthMeter } from './bandwidth/meter'
import { EventBus } from './events'
import type { History } from './history'
import { LiveCapture, type LaunchCapture } from './live-capture'
import { LiveProbes } from './live-probes'
import { LinuxSysNet, type SysNet } from './sysnet/linux'

export interface MonitorOptions {
  tickMs?: number
  sysnet?: SysNet
  /** Clock in milliseconds, monotonic; injectable for tests. */
  now?: () => number
  historyLength?: number
  /** Starts a capture worker; tests pass a fake. */
  launchCapture?: LaunchCapture
  /** Opens the history store on the monitor's events (serve and desktop do; tests may not). */
  history?: (events: EventBus) => History
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
  private timer: NodeJS.Timeout | null = null
  private lastError: string | null = null

  constructor(opts: MonitorOptions = {}) {
    this.tickMs = opts.tickMs ?? 1000
    this.sysnet = opts.sysnet ?? new LinuxSysNet()
    this.now = opts.now ?? (() => performance.now())
    this.history = opts.history?.(this.events) ?? null
    this.capture = new LiveCapture(this.events, opts.launchCapture, this.tickMs, (active, ended) =>
      this.history?.recordFlows(active, ended),
    )
    this.probes = new LiveProbes(
      this.events,
      (samples, time_us) => this.history?.recordProbes(samples, time_us),
      this.tickMs,
    )
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
    await Promise.all([this.capture.stop(), this.probes.stop()])
    this.history?.close()
  }

  /** Reads the counters once and publishes a tick. Public so tests can drive time themselves. */
  sample(): void {
    let counters
    try {
      counters = this.sysnet.readCounters()
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
    'capture.start': (p) => this.capture.start(p.iface, p.filter),
    'capture.stop': () => this.capture.stop(),
    'capture.state': () => this.capture.state(),
    'probes.start': (p) => this.probes.start(p.targets),
    'probes.stop': () => this.probes.stop(),
    'probes.state': () => this.probes.state(),
    'history.status': () => this.requireHistory().status(),
    'history.query': (q) => this.requireHistory().query(q),
    'history.probes': (q) => this.requireHistory().probes(q),
    'history.export': (p) => this.requireHistory().exportTicket(p.query, p.format),
    'history.retention': () => this.requireHistory().retention(),
    'history.setRetention': (p) => this.requireHistory().setRetention(p),
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
