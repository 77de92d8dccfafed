/**
 * Settings kept in the history database, as one JSON row of its `meta` table (key 'settings'),
 * the way alert rules are (alerts/rules-store.ts, through meta-row.ts). A row that no longer parses (an older or
 * hand-edited one) is merged key by key over the defaults, so one bad value loses only itself.
 */
import { z } from 'zod'
import { DEFAULT_SETTINGS, Settings } from '../../../common/settings'
import { MetaJsonRow } from '../meta-row'

const KEY = 'settings'

export interface SettingsStore {
  /** The stored settings, or null when none were ever saved. */
  load(): Settings | null
  save(settings: Settings): void
  close(): void
}

/** Stored settings over the defaults: each top-level key that parses is kept. */
export function mergeStored(raw: unknown): Settings {
  if (typeof raw !== 'object' || raw === null) return structuredClone(DEFAULT_SETTINGS)
  const whole = Settings.safeParse(raw)
  if (whole.success) return whole.data
  const out: Record<string, unknown> = structuredClone(DEFAULT_SETTINGS)
  for (const [key, schema] of Object.entries(Settings.shape)) {
    const value = (raw as Record<string, unknown>)[key]
    const parsed = (schema as (typeof Settings.shape)[keyof typeof Settings.shape]).safeParse(value)
    if (parsed.success) out[key] = parsed.data
  }
  return out as Settings
}

/** The row itself: a MetaJsonRow whose parse keeps every key that is still valid. */
export class SqliteSettingsStore extends MetaJsonRow<Settings> implements SettingsStore {
  constructor(path: string) {
    super(path, KEY, z.unknown().transform(mergeStored))
  }
}
