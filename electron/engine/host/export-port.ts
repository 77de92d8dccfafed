/**
 * Streams a history export over a MessagePort to main's flowscope-export:// handler. Main pulls one
 * chunk at a time, so a slow download holds at most one chunk here; `cancel` (the download was
 * closed) destroys the stream, which ends the export's query.
 */
import { Writable } from 'node:stream'
import type { Download } from '../history'
import type { ExportControl, ExportMessage } from './messages'
import type { Port } from './ports'

export function streamExportToPort(port: Port, download: Download | null): void {
  const send = (m: ExportMessage) => port.postMessage(m)
  if (!download) {
    send({ type: 'error', status: 404, message: 'unknown or expired export' })
    port.close()
    return
  }
  let credits = 0
  let waiting: { deliver: () => void; callback: (err?: Error | null) => void } | null = null
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, callback) {
      const deliver = () => {
        credits--
        send({ type: 'chunk', data: new Uint8Array(chunk) })
        callback()
      }
      if (credits > 0) deliver()
      else waiting = { deliver, callback }
    },
    destroy(err, callback) {
      // A write waiting for a pull would otherwise never finish: fail it, so the export stops.
      const w = waiting
      waiting = null
      w?.callback(err ?? new Error('export cancelled'))
      callback(err)
    },
  })
  out.on('error', () => {}) // cancellation surfaces as a rejected write() below
  port.on('message', (e) => {
    const m = e.data as ExportControl
    if (m?.type === 'pull') {
      credits++
      const w = waiting
      waiting = null
      w?.deliver()
    } else if (m?.type === 'cancel') {
      out.destroy(new Error('export cancelled'))
      port.close()
    }
  })
  port.on('close', () => out.destroy(new Error('export cancelled')))
  port.start()
  send({ type: 'head', contentType: download.contentType, filename: download.filename })
  download.write(out).then(
    () => {
      if (out.destroyed) return
      out.end(() => {
        send({ type: 'end' })
        port.close()
      })
    },
    (err: unknown) => {
      if (!out.destroyed)
        send({ type: 'error', status: 500, message: String((err as Error)?.message ?? err) })
      port.close()
    },
  )
}
