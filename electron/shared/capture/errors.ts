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

/** The group the package lets run the capture helper (resources/deb/postinst). */
export const CAPTURE_GROUP = 'flowscope'

/** A checkout's build of the helper (not installed by the package). */
export function isCheckoutHelper(path: string): boolean {
  return /[/\\]native[/\\]caphelper[/\\]build[/\\]/.test(path)
}

/**
 * How to get capture rights, in one line. Only the capture helper ever gets CAP_NET_RAW (never
 * node, Electron or CAP_NET_ADMIN). `helper`: its path, or null when it is not built;
 * `cannotRun`: this user may not execute it (not in the group).
 */
export function captureAdvice(helper: string | null, cannotRun = false): string {
  const join = `\`sudo usermod -aG ${CAPTURE_GROUP} "$USER"\`, then log out and back in`
  if (helper === null)
    return 'the capture helper is not built: run `npm run build:native` (needs cc and libpcap-dev), or run as root'
  const q = helper.includes(' ') ? `'${helper}'` : helper
  if (isCheckoutHelper(helper))
    return `grant the capture helper CAP_NET_RAW once: \`sudo groupadd -f --system ${CAPTURE_GROUP} && sudo chgrp ${CAPTURE_GROUP} ${q} && sudo chmod 0750 ${q} && sudo setcap cap_net_raw+ep ${q}\` (setcap last: chgrp clears it) and join the group: ${join} (or run as root)`
  if (cannotRun)
    return `add your user to the ${CAPTURE_GROUP} group, whose members may run the capture helper ${q}: ${join}`
  return `the capture helper ${q} lacks CAP_NET_RAW (a file system without extended attributes?): \`sudo setcap cap_net_raw+ep ${q}\`, and be in the ${CAPTURE_GROUP} group: ${join}`
}

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
