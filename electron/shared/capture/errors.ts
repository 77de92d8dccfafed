/**
 * Capture failures as data: a code the UI can switch on and a one-line message that says what to
 * do. Thrown inside the engine as CaptureError; sent across process boundaries as
 * `{ ok: false, code, message }`.
 */
export type CaptureErrorCode =
  | 'PERMISSION_DENIED'
  | 'NO_SUCH_DEVICE'
  | 'INTERFACE_DOWN'
  | 'NO_SUCH_FILE'
  | 'UNREADABLE_FILE'
  | 'NOT_A_CAPTURE'
  | 'BAD_FILTER'
  | 'UNSUPPORTED_LINK_TYPE'
  | 'CAPTURE_FAILED'
  | 'NATIVE_MISSING'

export const CAPTURE_ERROR_CODES: readonly CaptureErrorCode[] = [
  'PERMISSION_DENIED',
  'NO_SUCH_DEVICE',
  'INTERFACE_DOWN',
  'NO_SUCH_FILE',
  'UNREADABLE_FILE',
  'NOT_A_CAPTURE',
  'BAD_FILTER',
  'UNSUPPORTED_LINK_TYPE',
  'CAPTURE_FAILED',
  'NATIVE_MISSING',
]

export class CaptureError extends Error {
  override name = 'CaptureError'
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface CaptureFailure {
  ok: false
  code: CaptureErrorCode
  message: string
}

export const GRANT_CAPTURE_ADVICE =
  'run as root, or grant the capture capability once with `sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"`'

/** Any thrown value as a failure record; unknown errors keep their message under CAPTURE_FAILED. */
export function toFailure(err: unknown): CaptureFailure {
  if (err instanceof CaptureError) return { ok: false, code: err.code, message: err.message }
  return {
    ok: false,
    code: 'CAPTURE_FAILED',
    message: firstLine(err instanceof Error ? err.message : String(err)),
  }
}

export function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}
