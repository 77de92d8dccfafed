/** The running capture's state and latest tick, kept in step with the engine's events. */
import { onMounted, onUnmounted, shallowRef } from 'vue'
import type { CaptureState, CaptureTick } from '../../../common/contract'
import { useApi } from './useApi'

export function useCapture() {
  const api = useApi()
  const state = shallowRef<CaptureState>({
    active: false,
    iface: null,
    filter: null,
    started_at: null,
    error: null,
  })
  const tick = shallowRef<CaptureTick | null>(null)
  const busy = shallowRef(false)
  const offs: Array<() => void> = []

  onMounted(async () => {
    offs.push(api.on('capture.state', (s) => (state.value = s)))
    offs.push(api.on('capture.tick', (t) => (tick.value = t)))
    const r = await api.invoke('capture.state', {})
    if (r.ok) state.value = r.value
  })
  onUnmounted(() => offs.forEach((off) => off()))

  async function start(iface: string, filter: string): Promise<void> {
    busy.value = true
    tick.value = null
    const r = await api.invoke(
      'capture.start',
      filter.trim() ? { iface, filter: filter.trim() } : { iface },
    )
    busy.value = false
    if (r.ok) state.value = r.value
    else
      state.value = { ...state.value, active: false, error: { code: r.code, message: r.message } }
  }

  async function stop(): Promise<void> {
    busy.value = true
    const r = await api.invoke('capture.stop', {})
    busy.value = false
    if (r.ok) state.value = r.value
  }

  return { state, tick, busy, start, stop }
}
