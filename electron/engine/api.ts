/**
 * The engine side of the contract: validates a request at the edge, runs its handler and
 * returns errors as data. Electron IPC and the WebSocket server both call dispatch().
 */
import {
  SUPERSEDING_METHODS,
  fail,
  invokeSchemas,
  isMethod,
  type Method,
  type ParamsOf,
  type Result,
  type ResultOf,
} from '../../common/contract'

/** Thrown by handlers for failures the user should see as a code + message. */
export class EngineError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'BAD_REQUEST' | 'CANCELLED',
    message: string,
  ) {
    super(message)
  }
}

export interface CallContext {
  transport: 'ipc' | 'websocket'
  /**
   * Aborted when the request is no longer wanted: its client went away, or (SUPERSEDING_METHODS)
   * a newer request of the same method on the same connection replaced it. The reason is an
   * EngineError('CANCELLED'). Absent for in-process callers that never cancel.
   */
  signal?: AbortSignal
  /**
   * The connection the request came on (a WebSocket client, a desktop port): what is kept per
   * client (its Connections view) is keyed by `id` and dropped when `gone` aborts (the
   * connection closed). Absent for in-process callers.
   */
  client?: ClientRef
}

/** A connection as handlers see it: an opaque id, and a signal aborted when it closes. */
export interface ClientRef {
  readonly id: string
  readonly gone: AbortSignal
}

let clientSeq = 0

/**
 * One connection's requests in flight (a WebSocket client, a desktop port): gives each its
 * CallContext signal, cancels the previous request of a superseding method, and everything
 * when the connection closes. Bounded by the transport's in-flight limit.
 */
export class ClientCalls {
  private readonly live = new Set<AbortController>()
  private readonly latest = new Map<string, AbortController>()
  private readonly closed = new AbortController()
  /** This connection, for its requests' CallContext.client. */
  readonly client: ClientRef = { id: `c${++clientSeq}`, gone: this.closed.signal }

  /** A request starts: its signal, and `end` to call once it is answered. */
  begin(method: string): { signal: AbortSignal; end: () => void } {
    const ac = new AbortController()
    if (SUPERSEDING_METHODS.has(method)) {
      this.latest
        .get(method)
        ?.abort(new EngineError('CANCELLED', `superseded by a newer ${method}`))
      this.latest.set(method, ac)
    }
    this.live.add(ac)
    const end = () => {
      this.live.delete(ac)
      if (this.latest.get(method) === ac) this.latest.delete(method)
    }
    return { signal: ac.signal, end }
  }

  /** The connection closed: nobody is waiting for any answer. */
  cancelAll(): void {
    const why = new EngineError('CANCELLED', 'the client went away')
    for (const ac of this.live) ac.abort(why)
    this.live.clear()
    this.latest.clear()
    this.closed.abort(why)
  }
}

/** The EngineError an aborted signal carries, or a generic CANCELLED one. */
export function cancelledBy(signal: AbortSignal): EngineError {
  return signal.reason instanceof EngineError
    ? signal.reason
    : new EngineError('CANCELLED', 'request cancelled')
}

export type Handlers = {
  [M in Method]: (params: ParamsOf<M>, ctx: CallContext) => Promise<ResultOf<M>> | ResultOf<M>
}

export async function dispatch(
  handlers: Handlers,
  method: unknown,
  params: unknown,
  ctx: CallContext,
): Promise<Result<unknown>> {
  if (!isMethod(method)) return fail('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`)
  const parsed = invokeSchemas[method].params.safeParse(params ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return fail(
      'BAD_REQUEST',
      `${method}: invalid params${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}`,
    )
  }
  try {
    const handler = handlers[method] as (p: unknown, c: CallContext) => unknown
    return { ok: true, value: await handler(parsed.data, ctx) }
  } catch (err) {
    if (err instanceof EngineError) return fail(err.code, err.message)
    return fail('INTERNAL', err instanceof Error ? err.message : String(err))
  }
}
