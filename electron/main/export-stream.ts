/**
 * Reads an export the engine host streams over a MessagePort (electron/engine/host/export-port.ts)
 * into a fetch Response for the flowscope-export:// handler. The stream pulls one chunk at a time
 * and cancelling it (the download was closed) tells the engine to stop.
 */
import { MessageChannelMain, type MessagePortMain } from 'electron'
import type { ExportMessage } from '../engine/host/messages'

const text = (status: number, body: string) =>
  new Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })

export function exportResponse(open: (port: MessagePortMain) => boolean): Promise<Response> {
  const { port1: port, port2 } = new MessageChannelMain()
  if (!open(port2)) return Promise.resolve(text(503, 'the Flowscope engine is not running'))
  return new Promise((resolve) => {
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null
    let delivered: (() => void) | null = null
    let finished = false
    const settle = () => {
      const d = delivered
      delivered = null
      d?.()
    }
    const finish = () => {
      finished = true
      port.close()
      settle()
    }
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c
        },
        pull: () =>
          new Promise<void>((done) => {
            if (finished) return done()
            delivered = done
            port.postMessage({ type: 'pull' })
          }),
        cancel: () => {
          if (finished) return
          port.postMessage({ type: 'cancel' })
          finish()
        },
      },
      { highWaterMark: 1 },
    )
    port.on('message', (e) => {
      const m = e.data as ExportMessage
      if (!controller) return
      switch (m?.type) {
        case 'head':
          resolve(
            new Response(body, {
              headers: {
                'content-type': m.contentType,
                'content-disposition': `attachment; filename="${m.filename.replace(/["\\\r\n]/g, '_')}"`,
              },
            }),
          )
          return
        case 'chunk':
          controller.enqueue(m.data)
          settle()
          return
        case 'end':
          controller.close()
          finish()
          return
        case 'error':
          resolve(text(m.status, m.message)) // before the head; after it, this one is a no-op
          controller.error(new Error(m.message))
          finish()
          return
      }
    })
    port.on('close', () => {
      if (finished) return
      resolve(text(503, 'the Flowscope engine went away'))
      controller?.error(new Error('the Flowscope engine went away'))
      finish()
    })
    port.start()
  })
}
