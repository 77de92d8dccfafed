/**
 * The contract over a MessagePort: the same request / response / event messages as serve mode's
 * WebSocket (common/contract.ts WireRequest, WireMessage), for the desktop renderer and for main's
 * own small client (tray rate, pause/resume, capture-failure notifications).
 */
import { WireRequest, fail, type WireMessage } from '../../../common/contract'
import { ClientCalls, dispatch, type Handlers } from '../api'
import { forClients, type EventBus } from '../events'
import type { Port } from './ports'

/** Requests being answered at once per client; more are refused rather than queued. */
const MAX_IN_FLIGHT = 256

/** Serves one client until its port closes (`onClosed` then runs); returns a function that closes it. */
export function serveClientPort(
  port: Port,
  handlers: Handlers,
  events: EventBus,
  onClosed: () => void = () => {},
): () => void {
  const send = (msg: WireMessage) => port.postMessage(msg)
  let inFlight = 0
  let closed = false
  // As serve mode's WebSocket: a newer history.query / history.probes cancels the older one,
  // and a closed port cancels everything it was waiting for.
  const calls = new ClientCalls()
  const off = events.onAny((event, payload) => {
    if (closed) return
    const sent = forClients(event, payload, calls.client.id)
    if (sent !== undefined) send({ kind: 'event', event, payload: sent })
  })
  const close = () => {
    if (closed) return
    closed = true
    off()
    calls.cancelAll()
    onClosed()
  }
  port.on('close', close)
  port.on('message', (e) => {
    const parsed = WireRequest.safeParse(e.data)
    if (!parsed.success) return // not a request: nothing to answer to
    const { id, method, params } = parsed.data
    if (inFlight >= MAX_IN_FLIGHT) {
      send({ kind: 'response', id, result: fail('UNAVAILABLE', 'too many requests in flight') })
      return
    }
    inFlight++
    const call = calls.begin(method)
    void dispatch(handlers, method, params, {
      transport: 'ipc',
      signal: call.signal,
      client: calls.client,
    }).then((result) => {
      inFlight--
      call.end()
      if (!closed) send({ kind: 'response', id, result } as WireMessage)
    })
  })
  port.start()
  return () => {
    close()
    port.close()
  }
}
