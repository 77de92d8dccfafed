/**
 * Desktop downloads of history exports: the renderer reserves an export through the contract
 * ('history.export') and opens flowscope-export://download/TICKET, which streams it from the
 * engine; Chromium's download manager asks where to save it.
 */
import { protocol } from 'electron'
import { PassThrough, Readable } from 'node:stream'
import type { Monitor } from '../engine/monitor'

const SCHEME = 'flowscope-export'

/** Must run before the app is ready. */
export function registerExportScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: SCHEME, privileges: { standard: true, secure: true, stream: true } },
  ])
}

export function setupExports(monitor: Monitor): void {
  protocol.handle(SCHEME, (request) => {
    const ticket = decodeURIComponent(new URL(request.url).pathname.replace(/^\//, ''))
    const download = monitor.history?.redeem(ticket)
    if (!download) return new Response('unknown or expired export\n', { status: 404 })
    const body = new PassThrough()
    download.write(body).then(
      () => body.end(),
      (err: unknown) => body.destroy(err instanceof Error ? err : new Error(String(err))),
    )
    return new Response(Readable.toWeb(body) as ReadableStream, {
      headers: {
        'content-type': download.contentType,
        'content-disposition': `attachment; filename="${download.filename}"`,
      },
    })
  })
}
