/**
 * Desktop downloads of history exports: the renderer reserves an export through the contract
 * ('history.export') and opens flowscope-export://download/TICKET; main asks the engine host to
 * stream it over a MessagePort (export-stream.ts); Chromium's download manager asks where to save it.
 */
import { protocol, type MessagePortMain } from 'electron'
import { exportResponse } from './export-stream'

const SCHEME = 'flowscope-export'

/** Must run before the app is ready. */
export function registerExportScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: SCHEME, privileges: { standard: true, secure: true, stream: true } },
  ])
}

export function setupExports(engine: {
  openExport(ticket: string, port: MessagePortMain): boolean
}): void {
  protocol.handle(SCHEME, (request) => {
    const ticket = decodeURIComponent(new URL(request.url).pathname.replace(/^\//, ''))
    return exportResponse((port) => engine.openExport(ticket, port))
  })
}
