/**
 * The engine side of the contract: validates a request at the edge, runs its handler and
 * returns errors as data. Electron IPC and the WebSocket server both call dispatch().
 */
import {
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
    readonly code: 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message)
  }
}

export interface CallContext {
  transport: 'ipc' | 'websocket'
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
