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
  openExport(ticket: string, port: MessagePortMain, head: boolean): boolean
}): void {
  protocol.handle(SCHEME, (request) => {
    let ticket: string
    try {
      ticket = decodeURIComponent(new URL(request.url).pathname.replace(/^\//, ''))
    } catch {
      return new Response('bad export address\n', { status: 400 })
    }
    // HEAD asks for the headers only and leaves the ticket for the download itself.
    return exportResponse((port) => engine.openExport(ticket, port, request.method === 'HEAD'))
  })
}
