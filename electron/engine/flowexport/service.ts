/**
 * The flow export setting of one engine: read from the history database at start (or kept in
 * memory with --no-store), checked and saved on every change, and handed to each live capture
 * as the worker's exporter options. A change while a capture runs restarts it (onChange).
 */
import { FlowExportSettings } from '../../../common/contract'
import type { FlowExportOptions } from '../../shared/flowexport/options'
import { EngineError } from '../api'
import { MetaJsonRow } from '../meta-row'
import { checkSettings, DEFAULT_EXPORT_SETTINGS } from './settings'

export interface ExportSettingsStore {
  load(): FlowExportSettings | null
  save(settings: FlowExportSettings): void
  close(): void
}

/** One JSON row of the history database's meta table, key 'flowexport.config'. */
export class SqliteExportSettingsStore
  extends MetaJsonRow<FlowExportSettings>
  implements ExportSettingsStore
{
  constructor(path: string) {
    super(path, 'flowexport.config', FlowExportSettings)
  }
}

export interface FlowExportServiceOptions {
  /** Where the setting is kept (null or absent: in memory only). */
  store?: ExportSettingsStore | null
  /** serve --export: export on to these collectors (the stored timeouts kept), and saved. */
  collectors?: string[]
}

export class FlowExportService {
  private settings: FlowExportSettings = DEFAULT_EXPORT_SETTINGS
  private opts: FlowExportOptions | null = null
  /** Called after each change (the Monitor restarts a running capture). */
  onChange: (() => Promise<unknown>) | null = null

  constructor(private readonly options: FlowExportServiceOptions = {}) {
    let stored: FlowExportSettings | null = null
    try {
      stored = options.store?.load() ?? null
    } catch {
      // An unusable store (history failed to open) leaves the setting in memory only.
    }
    // A stored row that no longer checks (an older build's) is ignored rather than fatal.
    if (stored && checkSettings(stored).ok) this.apply(stored)
    if (options.collectors?.length) {
      // Before any capture, so nothing to restart; a bad URL throws EngineError.
      const initial = { ...this.settings, enabled: true, collectors: options.collectors }
      this.apply(initial)
      try {
        options.store?.save(initial)
      } catch {
        // Applies to this run; the store's failure shows in history.status.
      }
    }
  }

  get(): FlowExportSettings {
    return structuredClone(this.settings)
  }

  /** The exporter options for a capture starting now, or null when export is off. */
  exportOptions(): FlowExportOptions | null {
    return this.settings.enabled && this.opts ? structuredClone(this.opts) : null
  }

  /** Checks, applies and saves the setting; a running capture restarts with it. */
  async set(settings: FlowExportSettings): Promise<FlowExportSettings> {
    const before = JSON.stringify(this.exportOptions())
    this.apply(settings)
    let saveError: string | null = null
    try {
      this.options.store?.save(settings)
    } catch (err) {
      saveError = err instanceof Error ? err.message : String(err)
    }
    if (JSON.stringify(this.exportOptions()) !== before) await this.onChange?.()
    if (saveError !== null)
      throw new EngineError(
        'UNAVAILABLE',
        `flow export applies to this run but was not saved: ${saveError}`,
      )
    return this.get()
  }

  close(): void {
    this.options.store?.close()
  }

  private apply(settings: FlowExportSettings): void {
    const checked = checkSettings(settings)
    if (!checked.ok) throw new EngineError('BAD_REQUEST', `flowexport.set: ${checked.message}`)
    this.settings = structuredClone(settings)
    this.opts = checked.value
  }
}
