/**
 * Main's own contract client over a MessagePort to the engine host: the tray reads rates from
 * `bandwidth.tick`, pauses and resumes capture and probes, and capture failures become OS
 * notifications. Same wire shapes as the renderer's port and serve mode's WebSocket.
 */
import type { MessagePortMain } from 'electron'
import {
  eventSchemas,
  invokeSchemas,
  fail,
  type EventName,
  type Method,
  type ParamsOf,
  type PayloadOf,
  type Result,
  type ResultOf,
} from '../../common/contract'

const TIMEOUT_MS = 10_000

export class ControlClient {
  private port: MessagePortMain | null = null
  private nextId = 1
  private readonly pending = new Map<number, (r: Result<unknown>) => void>()
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>()

  /** Uses `port` from now on; requests on a previous port fail as UNAVAILABLE. */
  attach(port: MessagePortMain): void {
    this.port?.close()
    for (const resolve of this.pending.values()) resolve(fail('UNAVAILABLE', 'engine restarted'))
    this.pending.clear()
    this.port = port
    port.on('message', (e) => this.receive(e.data))
    port.start()
  }

  async invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
    const port = this.port
    if (!port) return fail('UNAVAILABLE', 'the engine is not running')
    const id = this.nextId++
    const result = await new Promise<Result<unknown>>((resolve) => {
      this.pending.set(id, resolve)
      setTimeout(() => {
        if (this.pending.delete(id)) resolve(fail('UNAVAILABLE', `${method}: no answer`))
      }, TIMEOUT_MS).unref?.()
      port.postMessage({ id, method, params })
    })
    if (!result.ok) return result
    const parsed = invokeSchemas[method].result.safeParse(result.value)
    return parsed.success
      ? { ok: true, value: parsed.data as ResultOf<M> }
      : fail('INTERNAL', `${method}: malformed result`)
  }

  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    const l = listener as (p: unknown) => void
    set.add(l)
    return () => set.delete(l)
  }

  private receive(data: unknown): void {
    const m = data as {
      kind?: string
      id?: number
      result?: Result<unknown>
      event?: string
      payload?: unknown
    }
    if (m?.kind === 'response' && typeof m.id === 'number') {
      const resolve = this.pending.get(m.id)
      this.pending.delete(m.id)
      resolve?.(m.result ?? fail('INTERNAL', 'empty response'))
    } else if (m?.kind === 'event' && typeof m.event === 'string') {
      const set = this.listeners.get(m.event as EventName)
      if (!set?.size) return
      const parsed = eventSchemas[m.event as EventName]?.safeParse(m.payload)
      if (!parsed?.success) return
      for (const l of set) l(parsed.data)
    }
  }
}
