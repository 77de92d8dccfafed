/**
 * The renderer's only door to the engine: the contract, over Electron IPC (window.flowscope from
 * the preload) or over serve mode's WebSocket. Everything received is validated against the
 * contract's schemas before the UI sees it.
 */
import { ref, type Ref } from 'vue'
import {
  WireMessage,
  eventSchemas,
  fail,
  invokeSchemas,
  isEventName,
  type EventName,
  type FlowscopeApi,
  type Method,
  type ParamsOf,
  type PayloadOf,
  type Result,
  type ResultOf,
} from '../../../common/contract'

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized'

export interface ClientApi extends FlowscopeApi {
  transport: 'ipc' | 'websocket'
  state: Ref<ConnectionState>
  /** Where the browser downloads an export reserved with 'history.export'. */
  downloadUrl(ticket: string): string
}

type Listener = (payload: unknown) => void

/** Listeners by event, shared by both transports; payloads are checked before delivery. */
class Listeners {
  private readonly map = new Map<EventName, Set<Listener>>()
  add(event: EventName, l: Listener): () => void {
    let set = this.map.get(event)
    if (!set) this.map.set(event, (set = new Set()))
    set.add(l)
    return () => set.delete(l)
  }
  deliver(event: unknown, payload: unknown): void {
    if (!isEventName(event)) return
    const parsed = eventSchemas[event].safeParse(payload)
    if (!parsed.success) {
      console.warn(`flowscope: dropped malformed ${event} event`)
      return
    }
    for (const l of this.map.get(event) ?? []) l(parsed.data)
  }
}

function checkResult<M extends Method>(method: M, result: Result<unknown>): Result<ResultOf<M>> {
  if (!result.ok) return result
  const parsed = invokeSchemas[method].result.safeParse(result.value)
  return parsed.success
    ? { ok: true, value: parsed.data as ResultOf<M> }
    : fail('INTERNAL', `${method}: the engine sent a malformed result`)
}

function ipcClient(bridge: FlowscopeApi): ClientApi {
  const listeners = new Listeners()
  const subscribed = new Set<EventName>()
  return {
    transport: 'ipc',
    state: ref<ConnectionState>('open'),
    downloadUrl: (ticket) => `flowscope-export://download/${encodeURIComponent(ticket)}`,
    async invoke(method, params) {
      return checkResult(method, (await bridge.invoke(method, params)) as Result<unknown>)
    },
    on(event, listener) {
      if (!subscribed.has(event)) {
        subscribed.add(event)
        bridge.on(event, (payload) => listeners.deliver(event, payload))
      }
      return listeners.add(event, listener as Listener)
    },
  }
}

const TOKEN_KEY = 'flowscope.token'
const REQUEST_TIMEOUT_MS = 10_000

/** Takes the access token from the URL once, then keeps it for this tab and hides it from the address bar. */
function takeToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? ''
}

function wsClient(): ClientApi {
  const token = takeToken()
  const listeners = new Listeners()
  const state = ref<ConnectionState>('connecting')
  const pending = new Map<number, (r: Result<unknown>) => void>()
  let nextId = 1
  let socket: WebSocket | null = null
  let opened: Promise<void>
  let retryMs = 500

  const connect = () => {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
    const ws = new WebSocket(
      `${scheme}://${window.location.host}/api/ws?token=${encodeURIComponent(token)}`,
    )
    socket = ws
    state.value = 'connecting'
    opened = new Promise((resolve) => ws.addEventListener('open', () => resolve(), { once: true }))
    ws.addEventListener('open', () => {
      state.value = 'open'
      retryMs = 500
    })
    ws.addEventListener('message', (e) => {
      let msg: WireMessage
      try {
        msg = WireMessage.parse(JSON.parse(String(e.data)))
      } catch {
        console.warn('flowscope: dropped a malformed message')
        return
      }
      if (msg.kind === 'event') listeners.deliver(msg.event, msg.payload)
      else {
        pending.get(msg.id)?.(msg.result as Result<unknown>)
        pending.delete(msg.id)
      }
    })
    ws.addEventListener('close', () => {
      for (const resolve of pending.values())
        resolve(fail('UNAVAILABLE', 'connection to Flowscope lost'))
      pending.clear()
      // Never opened: most likely a refused token; retrying won't help without a new URL.
      if (state.value === 'connecting' && !token) {
        state.value = 'unauthorized'
        return
      }
      state.value = 'closed'
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 10_000)
    })
  }
  connect()

  return {
    transport: 'websocket',
    state,
    downloadUrl: (ticket) => `/api/export/${encodeURIComponent(ticket)}`,
    async invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
      await opened
      const id = nextId++
      const result = await new Promise<Result<unknown>>((resolve) => {
        pending.set(id, resolve)
        setTimeout(() => {
          if (pending.delete(id))
            resolve(fail('UNAVAILABLE', `${method}: no answer from Flowscope`))
        }, REQUEST_TIMEOUT_MS)
        socket?.send(JSON.stringify({ id, method, params }))
      })
      return checkResult(method, result)
    },
    on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void) {
      return listeners.add(event, listener as Listener)
    },
  }
}

export function createClient(): ClientApi {
  return window.flowscope ? ipcClient(window.flowscope) : wsClient()
}
