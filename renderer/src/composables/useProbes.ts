/** Probe state, latest statistics, and a bounded series of outcomes per target for the graphs. */
import { onMounted, onUnmounted, shallowRef, triggerRef } from 'vue'
import type { ProbesState } from '../../../common/contract'
import type { ProbeErrorKind, ProbeTargetStats } from '../../../common/probes'
import { probeErrorKind } from '../../../common/probes'
import { useApi } from './useApi'

export interface Outcome {
  /** Send time, ms since the epoch. */
  t: number
  /** null for a lost probe (timeout or error). */
  rtt: number | null
}

/** The latest failure of a target: its kind, the raw code, and when the probe was sent. */
export interface LastFailure {
  kind: ProbeErrorKind
  code: string | null
  t: number
}

const MAX_POINTS = 600

export function useProbes() {
  const api = useApi()
  const state = shallowRef<ProbesState>({ active: false, targets: [], error: null })
  const stats = shallowRef<ProbeTargetStats[]>([])
  const series = shallowRef(new Map<string, Outcome[]>())
  const failures = shallowRef(new Map<string, LastFailure>())
  const offs: Array<() => void> = []

  onMounted(async () => {
    offs.push(api.on('probes.state', (s) => (state.value = s)))
    offs.push(api.on('probes.stats', (s) => (stats.value = s.targets)))
    offs.push(
      api.on('probes.results', ({ results }) => {
        const map = series.value
        let failed = false
        for (const r of results) {
          let list = map.get(r.target)
          if (!list) map.set(r.target, (list = []))
          list.push({ t: Date.parse(r.sent_at), rtt: r.status === 'ok' ? r.rtt_ms : null })
          if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS)
          const kind = r.error_kind ?? probeErrorKind(r.status, r.error)
          if (kind) {
            failures.value.set(r.target, { kind, code: r.error ?? null, t: Date.parse(r.sent_at) })
            failed = true
          }
        }
        triggerRef(series)
        if (failed) triggerRef(failures)
      }),
    )
    const r = await api.invoke('probes.state', {})
    if (r.ok) state.value = r.value
  })
  onUnmounted(() => offs.forEach((off) => off()))

  async function start(
    targets: Array<{ target: string; interval_ms: number; timeout_ms: number }>,
  ) {
    series.value = new Map()
    failures.value = new Map()
    stats.value = []
    const r = await api.invoke('probes.start', { targets })
    if (r.ok) state.value = r.value
    else
      state.value = {
        ...state.value,
        active: false,
        error: { target: '', code: r.code, message: r.message },
      }
  }

  async function stop() {
    const r = await api.invoke('probes.stop', {})
    if (r.ok) state.value = r.value
  }

  return { state, stats, series, failures, start, stop }
}
