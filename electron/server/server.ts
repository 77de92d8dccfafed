/**
 * Serve mode: the built renderer over HTTP and the contract over a WebSocket (/api/ws), so the
 * same UI runs in any browser. Loopback by default; the API requires the token printed in the URL.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import sirv from 'sirv'
import { WebSocketServer, type WebSocket } from 'ws'
import { WireRequest, type WireMessage } from '../../common/contract'
import { CSP } from '../../common/security'
import { dispatch } from '../engine/api'
import type { Monitor } from '../engine/monitor'
import { hostAllowed, newToken, originAllowed, tokenMatches } from './access'

export interface ServeOptions {
  monitor: Monitor
  /** Folder of the built renderer (out/renderer). */
  staticDir: string
  host?: string
  port?: number
  token?: string
}

export interface RunningServer {
  url: string
  token: string
  port: number
  close(): Promise<void>
}

/** A client that reads slower than we publish is skipped for a tick rather than queued without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const MAX_MESSAGE_BYTES = 64 * 1024

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? newToken()
  const statics = sirv(opts.staticDir, { etag: true, single: true })
  let port = opts.port ?? 7878

  const reject = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`)
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, port)) return reject(res, 421, 'unexpected Host header')
    res.setHeader('Content-Security-Policy', CSP)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    if (req.method !== 'GET' && req.method !== 'HEAD') return reject(res, 405, 'method not allowed')
    const exportMatch = /^\/api\/export\/([A-Za-z0-9_-]{16,64})$/.exec(req.url ?? '')
    if (exportMatch) return void serveExport(opts.monitor, exportMatch[1]!, req, res)
    statics(req, res, () => reject(res, 404, 'not found'))
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    const url = new URL(req.url ?? '/', 'http://placeholder')
    if (url.pathname !== '/api/ws') return refuse(404, 'Not Found')
    if (!hostAllowed(req.headers.host, port)) return refuse(421, 'Misdirected Request')
    if (!originAllowed(req.headers.origin, req.headers.host)) return refuse(403, 'Forbidden')
    if (!tokenMatches(token, url.searchParams.get('token'))) return refuse(401, 'Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, opts.monitor))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * Streams a history export reserved through the contract ('history.export'); the ticket is the
 * secret. HEAD answers without taking the ticket. The export is tied to its client: when the
 * response closes before the end (the download was cancelled), the query stops on the reader
 * thread and its read transaction ends.
 */
async function serveExport(
  monitor: Monitor,
  ticket: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const head = req.method === 'HEAD'
  const download = monitor.history?.redeem(ticket, !head)
  if (!download) {
    res
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      .end('unknown or expired export\n')
    return
  }
  res.writeHead(200, {
    'content-type': download.contentType,
    'content-disposition': `attachment; filename="${download.filename}"`,
    'cache-control': 'no-store',
  })
  if (head) return void res.end()
  const gone = new AbortController()
  res.once('close', () => gone.abort())
  try {
    for await (const chunk of download.chunks(gone.signal)) {
      if (!res.write(chunk)) await once(res, 'drain', { signal: gone.signal })
    }
    res.end()
  } catch {
    // Headers are gone: cutting the response short is the only honest signal left.
    res.destroy()
  }
}

function serveClient(ws: WebSocket, monitor: Monitor): void {
  const send = (msg: WireMessage) => ws.send(JSON.stringify(msg))
  const off = monitor.events.onAny((event, payload) => {
    if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES)
      send({ kind: 'event', event, payload })
  })
  ws.on('close', off)
  ws.on('error', off)
  ws.on('message', async (data, isBinary) => {
    let request: WireRequest
    try {
      if (isBinary) throw new Error('binary frame')
      const parsed = WireRequest.safeParse(JSON.parse(data.toString()))
      if (!parsed.success) throw new Error('not a request')
      request = parsed.data
    } catch {
      // Without a valid id there is nobody to answer: close the socket as a protocol error.
      ws.close(1008, 'malformed request')
      return
    }
    const result = await dispatch(monitor.handlers, request.method, request.params, {
      transport: 'websocket',
    })
    if (ws.readyState === ws.OPEN) send({ kind: 'response', id: request.id, result })
  })
}
