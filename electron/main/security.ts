import { session } from 'electron'
import { CSP } from '../../common/security'

/** CSP on every response (also those the meta tag can't cover); every permission request denied. */
export function setupSecurity(): void {
  const s = session.defaultSession
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  s.setPermissionCheckHandler(() => false)
}
