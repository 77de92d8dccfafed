/**
 * The running capture's state and latest tick, kept in step with the engine's events, plus the
 * Connections view: sort, filter, aggregation and window go to the engine ('capture.view'),
 * which applies them to the whole flow table and sends back only the rows shown.
 */
import { onMounted, onUnmounted, reactive, shallowRef, watch } from 'vue'
import {
  DEFAULT_VIEW,
  MAX_PINNED_ROWS,
  type ConnectionsView,
  type ViewResult,
} from '../../../common/capture'
import type { CaptureState, CaptureTick } from '../../../common/contract'
import { useApi } from './useApi'

/** Coalesces view changes (scrolling, typing) into one request per this many ms. */
const VIEW_DEBOUNCE_MS = 60
const TOKEN_KEY = 'flowscope.token'

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
  const result = shallowRef<ViewResult | null>(null)
  const busy = shallowRef(false)
  const view = reactive<ConnectionsView>({ ...DEFAULT_VIEW })
  const offs: Array<() => void> = []
  let timer: ReturnType<typeof setTimeout> | null = null

  const sendView = async () => {
    timer = null
    const r = await api.invoke('capture.view', { ...view, pinned: view.pinned && [...view.pinned] })
    if (!r.ok) console.warn(`flowscope: capture.view refused: ${r.message}`)
  }
  const queueView = () => {
    timer ??= setTimeout(() => void sendView(), VIEW_DEBOUNCE_MS)
  }
  watch(view, queueView, { deep: true })

  onMounted(async () => {
    offs.push(api.on('capture.state', (s) => (state.value = s)))
    offs.push(
      api.on('capture.tick', (t) => {
        tick.value = t
        if (t.view) result.value = t.view
      }),
    )
    const r = await api.invoke('capture.state', {})
    if (r.ok) state.value = r.value
    // The engine keeps each connection's own view; a new connection (a reload) has none yet.
    await sendView()
  })
  onUnmounted(() => {
    offs.forEach((off) => off())
    if (timer) clearTimeout(timer)
  })

  function failed(code: string, message: string): void {
    state.value = { ...state.value, active: false, error: { code, message } }
  }

  async function start(iface: string, filter: string): Promise<void> {
    busy.value = true
    const r = await api.invoke(
      'capture.start',
      filter.trim() ? { iface, filter: filter.trim() } : { iface },
    )
    busy.value = false
    if (r.ok) state.value = r.value
    else failed(r.code, r.message)
  }

  async function stop(): Promise<void> {
    busy.value = true
    const r = await api.invoke('capture.stop', {})
    busy.value = false
    if (r.ok) state.value = r.value
  }

  /**
   * Opens a capture file into the table: by path in the desktop app, uploaded in serve mode
   * (POST /api/capture-file with the page's token; the server bounds its size).
   */
  async function openFile(file: File, filter: string): Promise<void> {
    busy.value = true
    try {
      const f = filter.trim()
      const pathOf = window.flowscopeFiles?.pathOf
      if (api.transport === 'ipc' && pathOf) {
        const r = await api.invoke('capture.openFile', {
          path: pathOf(file),
          ...(f && { filter: f }),
        })
        if (r.ok) state.value = r.value
        else failed(r.code, r.message)
        return
      }
      const q = new URLSearchParams({
        token: sessionStorage.getItem(TOKEN_KEY) ?? '',
        name: file.name,
      })
      if (f) q.set('filter', f)
      const res = await fetch(`/api/capture-file?${q}`, { method: 'POST', body: file })
      const body = (await res.json().catch(() => null)) as
        { ok: true; value: CaptureState } | { ok: false; code: string; message: string } | null
      if (body?.ok) state.value = body.value
      else
        failed(body?.code ?? 'UPLOAD_FAILED', body?.message ?? `upload failed (HTTP ${res.status})`)
    } catch (err) {
      failed('UPLOAD_FAILED', `could not send the file: ${String(err)}`)
    } finally {
      busy.value = false
    }
  }

  /** Pause: keep the rows shown in their order (values still update) until resumed. */
  function pause(on: boolean): void {
    view.pinned = on ? (result.value?.rows.map((r) => r.key).slice(0, MAX_PINNED_ROWS) ?? []) : null
  }

  return { state, tick, result, view, busy, start, stop, openFile, pause }
}
