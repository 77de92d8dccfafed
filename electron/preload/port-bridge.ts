/**
 * window.flowscope over a MessagePort to the engine host. Requests made before the port arrives
 * wait (bounded); when main hands over a new port (the engine host restarted), requests in flight
 * on the old one fail as UNAVAILABLE and event listeners carry on with the new one.
 */
import type { FlowscopeApi, Result } from '../../common/contract'

/** The DOM MessagePort as far as the bridge uses it. */
export interface BridgePort {
  onmessage: ((e: { data: unknown }) => void) | null
  postMessage(message: unknown): void
  start(): void
  close(): void
}

const MAX_PENDING = 1024

type Listener = (payload: unknown) => void

export function createPortBridge(): { api: FlowscopeApi; attach(port: BridgePort): void } {
  let port: BridgePort | null = null
  let nextId = 1
  const pending = new Map<number, (r: Result<unknown>) => void>()
  const waiting: Array<{ id: number; method: string; params: unknown }> = []
  const listeners = new Map<string, Set<Listener>>()
  const unavailable = (message: string): Result<unknown> => ({
    ok: false,
    code: 'UNAVAILABLE',
    message,
  })

  const receive = (data: unknown) => {
    if (typeof data !== 'object' || data === null) return
    const m = data as {
      kind?: unknown
      id?: unknown
      result?: unknown
      event?: unknown
      payload?: unknown
    }
    if (m.kind === 'response' && typeof m.id === 'number') {
      const resolve = pending.get(m.id)
      pending.delete(m.id)
      resolve?.(m.result as Result<unknown>)
    } else if (m.kind === 'event' && typeof m.event === 'string') {
      for (const l of listeners.get(m.event) ?? []) l(m.payload)
    }
  }

  const api: FlowscopeApi = {
    invoke: (method, params) =>
      new Promise((resolve) => {
        if (pending.size >= MAX_PENDING) {
          resolve(unavailable('too many requests waiting for the engine') as never)
          return
        }
        const id = nextId++
        pending.set(id, resolve as (r: Result<unknown>) => void)
        if (port) port.postMessage({ id, method, params })
        else waiting.push({ id, method, params })
      }),
    on: (event, listener) => {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const l = listener as Listener
      set.add(l)
      return () => {
        set.delete(l)
      }
    },
  }

  return {
    api,
    attach(next) {
      if (port) {
        port.onmessage = null
        port.close()
        // Answers to these would come from an engine host that is gone.
        for (const [id, resolve] of pending) {
          if (!waiting.some((w) => w.id === id)) {
            pending.delete(id)
            resolve(unavailable('the engine restarted; try again'))
          }
        }
      }
      port = next
      next.onmessage = (e) => receive(e.data)
      next.start()
      for (const w of waiting.splice(0)) next.postMessage(w)
    },
  }
}
