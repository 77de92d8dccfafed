/**
 * Live per-interface rates: the engine's history once, then one tick per second. Keeps a bounded
 * series per interface for the graphs.
 */
import { onMounted, onUnmounted, shallowRef, triggerRef } from 'vue'
import type { InterfaceRates } from '../../../common/contract'
import { useApi } from './useApi'

export interface Series {
  times: number[]
  rx: number[]
  tx: number[]
}

const MAX_POINTS = 300

export function useBandwidth() {
  const api = useApi()
  const rates = shallowRef<InterfaceRates[]>([])
  const series = shallowRef(new Map<string, Series>())
  const error = shallowRef<string | null>(null)
  let off: (() => void) | null = null

  const push = (s: Series, time: number, rx: number, tx: number) => {
    s.times.push(time)
    s.rx.push(rx)
    s.tx.push(tx)
    if (s.times.length > MAX_POINTS) {
      s.times.shift()
      s.rx.shift()
      s.tx.shift()
    }
  }

  onMounted(async () => {
    off = api.on('bandwidth.tick', (tick) => {
      const time = Date.parse(tick.time)
      const map = series.value
      const present = new Set(tick.interfaces.map((i) => i.name))
      for (const name of map.keys()) if (!present.has(name)) map.delete(name)
      for (const i of tick.interfaces) {
        let s = map.get(i.name)
        if (!s) map.set(i.name, (s = { times: [], rx: [], tx: [] }))
        if (i.elapsed_s > 0) push(s, time, i.rx.current_bps, i.tx.current_bps)
      }
      rates.value = tick.interfaces
      triggerRef(series)
    })
    const history = await api.invoke('bandwidth.history', {})
    if (!history.ok) {
      error.value = history.message
      return
    }
    const map = new Map<string, Series>()
    for (const [name, h] of Object.entries(history.value.interfaces)) {
      map.set(name, {
        times: h.times.map((t) => Date.parse(t)),
        rx: [...h.rx_bps],
        tx: [...h.tx_bps],
      })
    }
    // Ticks that arrived while the history was on its way are newer: keep them after it.
    for (const [name, s] of series.value) {
      const h = map.get(name)
      if (!h) map.set(name, s)
      else s.times.forEach((t, k) => t > (h.times.at(-1) ?? 0) && push(h, t, s.rx[k]!, s.tx[k]!))
    }
    series.value = map
  })

  onUnmounted(() => off?.())

  return { rates, series, error }
}
