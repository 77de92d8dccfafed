/**
 * Serve mode: the built renderer over HTTP(S) and the contract over a WebSocket (/api/ws), so the
 * same UI runs in any browser. Loopback by default; the API requires the token printed in the URL.
 *
 * Every handler is total and checks what it can before it parses anything else: Host first (DNS
 * rebinding), then the request target, Origin and token. Node's parser bounds the headers (size
 * and arrival time); guard.ts keeps whatever a handler throws from ending the process.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import sirv from 'sirv'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { WireRequest, fail, type Result, type WireMessage } from '../../common/contract'
import { CSP } from '../../common/security'
import { ClientCalls, dispatch } from '../engine/api'
import { forClients } from '../engine/events'
import { handleMetrics } from '../engine/metrics/http'
import type { Metrics } from '../engine/metrics'
import type { Monitor } from '../engine/monitor'
import {
  hostAllowed,
  newToken,
  originAllowed,
  parseTarget,
  singleHeader,
  singleParam,
  tokenMatches,
  type Scheme,
} from './access'
import { guarded, logBug, stderrLog, type Log } from './guard'
import { DEFAULT_LIMITS, RequestRate, type ServeLimits } from './limits'
import { DEFAULT_MAX_UPLOAD_BYTES, UPLOAD_PATH, handleUpload } from './upload'

export interface ServeOptions {
  monitor: Monitor
  /** Folder of the built renderer (out/renderer). */
  staticDir: string
  host?: string
  port?: number
  token?: string
  /** Serve HTTPS and WSS with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer }
  limits?: Partial<ServeLimits>
  /** Where bugs in request handling are reported (default stderr). */
  log?: Log
  /** `/metrics` (only with --metrics); `token`: Bearer token required to scrape, or null. */
  metrics?: { metrics: Metrics; token: string | null }
  /** Largest capture file the Connections page may upload (default 256 MiB). */
  maxUploadBytes?: number
}

export interface RunningServer {
  url: string
  token: string
  port: number
  close(): Promise<void>
}

/** A request as a log line may name it: method and path, never the query (the token is there). */
function describeRequest(req: IncomingMessage): string {
  const path = (req.url ?? '').split('?')[0]!.slice(0, 200)
  return `${String(req.method).slice(0, 16)} ${JSON.stringify(path)}`
}

/** Answers on a socket that has no http.ServerResponse (upgrade, client error) and closes it. */
function endRaw(socket: Duplex, status: string): void {
  if (!socket.writable) return void socket.destroy()
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_TIMEOUT: '408 Request Timeout',
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? newToken()
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...opts.limits }
  const log = opts.log ?? stderrLog
  const scheme: Scheme = opts.tls ? 'https' : 'http'
  const statics = sirv(opts.staticDir, { etag: true, single: true })
  let port = opts.port ?? 7878

  const reject = (res: ServerResponse, status: number, text: string, close = false) => {
    if (res.headersSent) return void res.destroy()
    if (close) res.setHeader('connection', 'close')
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`)
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void | Promise<void> => {
    if ((req.headersDistinct.host?.length ?? 0) > 1)
      return reject(res, 400, 'more than one Host header', true)
    const target = parseTarget(req.url)
    if (!target) return reject(res, 400, 'bad request target', true)
    // A scrape with a token may use any Host (fleet DNS names); without one, rebinding rules apply.
    const scrape = opts.metrics && target.path === '/metrics' ? opts.metrics : null
    if (!(scrape?.token || hostAllowed(singleHeader(req, 'host'), port, [], scheme)))
      return reject(res, 421, 'unexpected Host header')
    res.setHeader('Content-Security-Policy', CSP)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    // The one route with a body: a capture file for the Connections page (token, size-bounded).
    if (target.path === UPLOAD_PATH)
      return handleUpload(req, res, {
        monitor: opts.monitor,
        token,
        scheme,
        maxBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
        query: target.query,
      })
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reject(res, 405, 'method not allowed', true)
    // We read no request bodies: refuse one rather than leave it for the next request to trip on.
    const length = req.headers['content-length']
    if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'))
      return reject(res, 413, 'a GET request carries no body', true)
    if (scrape) return void handleMetrics(scrape.metrics, scrape.token, req, res)
    if (target.path === '/metrics') return reject(res, 404, 'metrics are off (serve --metrics)')
    const exportMatch = /^\/api\/export\/([A-Za-z0-9_-]{16,64})$/.exec(target.path)
    if (exportMatch) return serveExport(opts.monitor, exportMatch[1]!, req, res)
    // sirv pipes a file stream into res without an error listener: a file that vanished or
    // can't be read after start would be an uncaught 'error' event, i.e. the end of the process.
    res.once('pipe', (src) =>
      src.once('error', (err: Error) => {
        log(
          `flowscope serve: cannot read a static file for ${describeRequest(req)}: ${err.message}`,
        )
        res.destroy()
      }),
    )
    statics(req, res, () => reject(res, 404, 'not found'))
  }

  const serverOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 2)),
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
  }
  const handler = guarded(
    log,
    ([req]) => describeRequest(req),
    ([, res]) => reject(res, 500, 'internal error', true),
    onRequest,
  )
  const server = opts.tls
    ? createHttpsServer(
        {
          ...serverOptions,
          cert: opts.tls.cert,
          key: opts.tls.key,
          minVersion: 'TLSv1.2',
          handshakeTimeout: limits.headersTimeoutMs,
        },
        handler,
      )
    : createServer(serverOptions, handler)
  server.maxConnections = limits.maxConnections

  // Garbage request lines, oversized or slow headers: answer the status and close, never throw.
  server.on(
    'clientError',
    guarded(
      log,
      () => 'a malformed request',
      ([, socket]) => socket.destroy(),
      (err: NodeJS.ErrnoException, socket: Duplex) => {
        const busy = (socket as Duplex & { _httpMessage?: unknown })._httpMessage
        if (err.code === 'ECONNRESET' || busy) return void socket.destroy()
        endRaw(socket, CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request')
      },
    ),
  )
  server.on('error', (err) => logBug(log, 'the listening socket', err))

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
    clientTracking: true,
  })
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves an upgraded socket without an error listener: a reset must not become a crash.
    socket.on('error', () => socket.destroy())
    const hosts = req.headersDistinct.host?.length ?? 0
    const hostHeader = singleHeader(req, 'host')
    if (hosts > 1) return endRaw(socket, '400 Bad Request')
    if (!hostAllowed(hostHeader, port, [], scheme)) return endRaw(socket, '421 Misdirected Request')
    const target = parseTarget(req.url)
    if (!target) return endRaw(socket, '400 Bad Request')
    if (target.path !== '/api/ws') return endRaw(socket, '404 Not Found')
    if (!originAllowed(singleHeader(req, 'origin'), hostHeader, scheme))
      return endRaw(socket, '403 Forbidden')
    if (!tokenMatches(token, singleParam(target.query, 'token')))
      return endRaw(socket, '401 Unauthorized')
    if (wss.clients.size >= limits.maxClients) return endRaw(socket, '503 Service Unavailable')
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, opts.monitor, limits, log))
  }
  server.on(
    'upgrade',
    guarded(
      log,
      ([req]) => describeRequest(req),
      ([, socket]) => socket.destroy(),
      onUpgrade,
    ),
  )

  // A peer that vanished without a FIN would keep its client slot: ping, and drop the silent.
  const alive = new WeakSet<WebSocket>()
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate()
        continue
      }
      alive.delete(ws)
      ws.ping()
    }
  }, limits.heartbeatMs)
  heartbeat.unref()
  wss.on('connection', (ws) => {
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
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
    url: `${scheme}://${urlHost}:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat)
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

function serveClient(ws: WebSocket, monitor: Monitor, limits: ServeLimits, log: Log): void {
  const rate = new RequestRate(limits.maxRequestsPerSecond)
  let inFlight = 0
  const send = (msg: WireMessage) => ws.send(JSON.stringify(msg))
  // Requests still running when the client goes away are cancelled (a history query stops on
  // the reader thread); a newer history.query / history.probes cancels the older one. Its id
  // keys what the engine keeps for this client (its Connections view), dropped when it goes.
  const calls = new ClientCalls()
  const off = monitor.events.onAny((event, payload) => {
    // A slow reader misses events (the next tick carries the state) rather than queueing them.
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount >= limits.maxBufferedBytes) return
    try {
      const sent = forClients(event, payload, calls.client.id)
      if (sent !== undefined) send({ kind: 'event', event, payload: sent })
    } catch (err) {
      logBug(log, `the '${event}' event`, err)
    }
  })
  /** A response can't be skipped like an event: a client that doesn't read is closed instead. */
  const respond = (id: number, result: Result<unknown>) => {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount >= limits.maxBufferedBytes) return void ws.terminate()
    send({ kind: 'response', id, result })
  }
  const gone = () => {
    off()
    calls.cancelAll()
  }
  ws.on('close', gone)
  // Protocol errors from the peer (bad frames, oversized messages): ws closes the socket itself.
  ws.on('error', gone)
  const onMessage = async (data: RawData, isBinary: boolean): Promise<void> => {
    const verdict = rate.take()
    if (verdict === 'close') return void ws.close(1008, 'request rate limit exceeded')
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
    if (verdict === 'refuse') {
      const why = `too many requests: at most ${limits.maxRequestsPerSecond} per second on one connection`
      return respond(request.id, fail('UNAVAILABLE', why))
    }
    if (inFlight >= limits.maxInFlight) {
      const why = `too many requests in flight: at most ${limits.maxInFlight} at once on one connection`
      return respond(request.id, fail('UNAVAILABLE', why))
    }
    inFlight++
    const call = calls.begin(request.method)
    let result: Result<unknown>
    try {
      result = await dispatch(monitor.handlers, request.method, request.params, {
        transport: 'websocket',
        signal: call.signal,
        client: calls.client,
      })
    } catch (err) {
      logBug(log, `the '${request.method.slice(0, 64)}' request`, err)
      result = fail('INTERNAL', 'internal error (logged by the server)')
    } finally {
      inFlight--
      call.end()
    }
    respond(request.id, result)
  }
  ws.on(
    'message',
    guarded(
      log,
      () => 'a WebSocket message',
      () => ws.terminate(),
      onMessage,
    ),
  )
}
