/**
 * The engine's settings as one shared reactive state: loaded once, changed through
 * `settings.set`, and followed through `settings.changed` so every window shows the same.
 * Until the engine answers, the last theme and units seen here (localStorage) stand in, so a
 * reload does not flash the wrong theme.
 */
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue'
import type { Failure } from '../../../common/contract'
import {
  DEFAULT_SETTINGS,
  Settings,
  rateUnit,
  type SettingsChange,
  type SettingsState,
} from '../../../common/settings'
import type { RateUnit } from '../../../common/units'
import type { ClientApi } from '../api/client'
import { useApi } from './useApi'

const CACHE = 'flowscope.settings'

export interface SettingsHandle {
  state: Ref<SettingsState | null>
  settings: ComputedRef<Settings>
  unit: ComputedRef<RateUnit>
  /** Sends a change; resolves with the engine's failure (its message names the field) or null. */
  save(change: SettingsChange): Promise<Failure | null>
  reload(): Promise<void>
}

let shared: { api: ClientApi; handle: SettingsHandle } | null = null

function cached(): Settings {
  try {
    const parsed = Settings.safeParse(JSON.parse(localStorage.getItem(CACHE) ?? 'null'))
    return parsed.success ? parsed.data : DEFAULT_SETTINGS
  } catch {
    return DEFAULT_SETTINGS
  }
}

function create(api: ClientApi): SettingsHandle {
  const state = ref<SettingsState | null>(null)
  const fallback = cached()
  const settings = computed(() => state.value?.settings ?? fallback)
  const accept = (s: SettingsState) => {
    state.value = s
    localStorage.setItem(CACHE, JSON.stringify(s.settings))
  }
  const reload = async () => {
    const r = await api.invoke('settings.get', {})
    if (r.ok) accept(r.value)
  }
  api.on('settings.changed', accept)
  // (Re)load whenever the connection opens: the engine may have restarted with other settings.
  watch(
    api.state,
    (now) => {
      if (now === 'open') void reload()
    },
    { immediate: true },
  )
  return {
    state,
    settings,
    unit: computed(() => rateUnit(settings.value.units)),
    reload,
    async save(change) {
      const r = await api.invoke('settings.set', change)
      if (!r.ok) return r
      accept(r.value)
      return null
    },
  }
}

export function useSettings(): SettingsHandle {
  const api = useApi()
  if (!shared || shared.api !== api) shared = { api, handle: create(api) }
  return shared.handle
}

/** A failure's message split into the field it names and the reason ('(root)' when none). */
export function fieldError(f: Failure): { path: string; reason: string } {
  const m = /invalid params: (\S+) (.*)$/s.exec(f.message)
  return m ? { path: m[1]!, reason: m[2]! } : { path: '(root)', reason: f.message }
}
