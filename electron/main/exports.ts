/**
 * Desktop downloads of history exports: the renderer reserves an export through the contract
 * ('history.export') and opens flowscope-export://download/TICKET, which streams it from the
 * engine; Chromium's download manager asks where to save it.
 */
import { protocol } from 'electron'
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
    let ticket: string
    try {
      ticket = decodeURIComponent(new URL(request.url).pathname.replace(/^\//, ''))
    } catch {
      return new Response('bad export address\n', { status: 400 })
    }
    const download = monitor.history?.redeem(ticket, request.method !== 'HEAD')
    if (!download) return new Response('unknown or expired export\n', { status: 404 })
    const headers = {
      'content-type': download.contentType,
      'content-disposition': `attachment; filename="${download.filename}"`,
    }
    if (request.method === 'HEAD') return new Response(null, { headers })
    // A pull stream: the next chunk is read only when Chromium wants it, and a cancelled
    // download (the stream's cancel) ends the query and its read transaction.
    const cancelled = new AbortController()
    const chunks = download.chunks(cancelled.signal)
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next()
          if (next.done) controller.close()
          else controller.enqueue(encoder.encode(next.value))
        } catch (err) {
          controller.error(err)
        }
      },
      async cancel() {
        cancelled.abort()
        await chunks.return(undefined)
      },
    })
    return new Response(body, { headers })
  })
}
