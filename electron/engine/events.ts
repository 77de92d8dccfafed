import { eventSchemas, type EventName, type PayloadOf } from '../../common/contract'

type Listener<E extends EventName> = (payload: PayloadOf<E>) => void

/** Typed publish/subscribe for the contract's events; every transport subscribes here. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>()

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as Listener<EventName>)
    return () => set.delete(listener as Listener<EventName>)
  }

  /** Subscribes to every event, e.g. to forward them over a transport. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    const offs = (Object.keys(eventSchemas) as EventName[]).map((e) =>
      this.on(e, (p) => listener(e, p)),
    )
    return () => offs.forEach((off) => off())
  }

  emit<E extends EventName>(event: E, payload: PayloadOf<E>): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(payload)
      } catch {
        // A failing subscriber (e.g. a closed socket) must not stop the others.
      }
    }
  }
}

/**
 * What a transport sends one client for an event: the payload less what only the engine uses,
 * or undefined when this client is not sent it. A capture tick's `busiest` series (the whole
 * table's busiest hosts and conversations) feed the alert rules; of the views' rows (`views`,
 * by client id) a client gets its own as `view` and nothing of the others', so ticks stay small
 * (under 50 KB at 10,000 conversations). A client with a view gets its rows there instead of the
 * snapshot's top conversations (`snapshot.conversations` empty: the same rows twice would be a
 * third of the tick); a client without one gets them. A tick sent early to answer some clients'
 * new views (`to`) goes to them alone.
 */
export function forClients(event: EventName, payload: unknown, client?: string): unknown {
  if (event !== 'capture.tick') return payload
  const tick = payload as PayloadOf<'capture.tick'>
  const { views, to, view: _none, ...rest } = tick
  if (to && (client === undefined || !to.includes(client))) return undefined
  const own = client !== undefined && views && Object.hasOwn(views, client) ? views[client] : null
  const { busiest: _engineOnly, ...snapshot } = tick.snapshot
  if (own) snapshot.conversations = []
  return { ...rest, snapshot, ...(own && { view: own }) }
}
