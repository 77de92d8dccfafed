/**
 * The engine's settings: loaded once at start (so the tick can apply), changed through
 * `settings.set`, saved to the store and announced to every window with `settings.changed`.
 * A store that cannot be opened or written leaves them in memory, and the state says so.
 */
import {
  DEFAULT_SETTINGS,
  Settings,
  type SettingsChange,
  type SettingsState,
} from '../../../common/settings'
import type { EventBus } from '../events'
import type { SettingsStore } from './store'

export class EngineSettings {
  private current: Settings
  private persisted: boolean
  private metrics: SettingsState['metrics'] = null
  private runningTickMs: number

  constructor(
    private readonly events: EventBus,
    private readonly store: SettingsStore | null,
  ) {
    let loaded: Settings | null = null
    this.persisted = store !== null
    try {
      loaded = store?.load() ?? null
    } catch {
      this.persisted = false
    }
    this.current = loaded ?? structuredClone(DEFAULT_SETTINGS)
    this.runningTickMs = this.current.tick_ms
  }

  get value(): Settings {
    return this.current
  }

  /** The tick the monitor actually runs with (tests and callers may override the stored one). */
  setRunningTick(ms: number): void {
    this.runningTickMs = ms
  }

  /** This run's Prometheus endpoint, for the Settings page to show. */
  setMetrics(info: SettingsState['metrics']): void {
    this.metrics = info
  }

  state(): SettingsState {
    return {
      settings: this.current,
      persisted: this.persisted,
      running_tick_ms: this.runningTickMs,
      metrics: this.metrics,
    }
  }

  set(change: SettingsChange): SettingsState {
    const next = Settings.parse({ ...this.current, ...change })
    if (this.store) {
      try {
        this.store.save(next)
        this.persisted = true
      } catch {
        this.persisted = false
      }
    }
    this.current = next
    const state = this.state()
    this.events.emit('settings.changed', state)
    return state
  }

  close(): void {
    this.store?.close()
  }
}
