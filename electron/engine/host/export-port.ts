/**
 * Streams a history export over a MessagePort to main's flowscope-export:// handler. Main pulls one
 * chunk at a time, so a slow download holds at most one chunk here; `cancel` or a closed port (the
 * download was closed) stops the export, which ends its query and read transaction.
 */
import type { Download } from '../history'
import type { ExportControl, ExportMessage } from './messages'
import type { Port } from './ports'

export function streamExportToPort(port: Port, download: Download | null, head = false): void {
  const send = (m: ExportMessage) => port.postMessage(m)
  if (!download) {
    send({ type: 'error', status: 404, message: 'unknown or expired export' })
    port.close()
    return
  }
  send({ type: 'head', contentType: download.contentType, filename: download.filename })
  if (head) {
    send({ type: 'end' })
    port.close()
    return
  }
  const cancelled = new AbortController()
  const chunks = download.chunks(cancelled.signal)
  const encoder = new TextEncoder()
  let credits = 0
  let pumping = false
  let finished = false
  const finish = () => {
    if (finished) return
    finished = true
    cancelled.abort()
    void chunks.return(undefined).catch(() => {})
    port.close()
  }
  // One chunk per pull, in order; pulls that arrive while a chunk is being read wait their turn.
  const pump = async () => {
    if (pumping) return
    pumping = true
    try {
      while (credits > 0 && !finished) {
        credits--
        const next = await chunks.next()
        if (finished) return
        if (next.done) {
          send({ type: 'end' })
          return finish()
        }
        send({ type: 'chunk', data: encoder.encode(next.value) })
      }
    } catch (err) {
      if (!finished)
        send({ type: 'error', status: 500, message: String((err as Error)?.message ?? err) })
      finish()
    } finally {
      pumping = false
    }
  }
  port.on('message', (e) => {
    const m = e.data as ExportControl
    if (m?.type === 'pull') {
      credits++
      void pump()
    } else if (m?.type === 'cancel') finish()
  })
  port.on('close', finish)
  port.start()
}
