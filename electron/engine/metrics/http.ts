/**
 * `/metrics` over HTTP: the handler serve mode mounts, and a loopback-only listener for the
 * desktop app (off by default). With a token, a scrape must send `Authorization: Bearer TOKEN`
 * (Prometheus: `authorization: { credentials: TOKEN }`); the comparison is constant-time.
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Metrics } from './index'

export function bearerMatches(expected: string, header: string | undefined): boolean {
  const m = /^Bearer (\S+)$/i.exec(header ?? '')
  if (!m) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(m[1]!)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Answers a GET/HEAD of /metrics. `token`: required bearer token, or null for none. */
export async function handleMetrics(
  metrics: Metrics,
  token: string | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (token !== null && !bearerMatches(token, req.headers.authorization)) {
    res
      .writeHead(401, {
        'content-type': 'text/plain; charset=utf-8',
        'www-authenticate': 'Bearer realm="flowscope metrics"',
      })
      .end('unauthorized\n')
    return
  }
  try {
    const body = await metrics.text()
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch (err) {
    res
      .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      .end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`)
  }
}

/** A loopback listener with only /metrics (the desktop app's opt-in exposition). */
export async function serveMetrics(
  metrics: Metrics,
  port: number,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') return void res.writeHead(404).end()
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end()
    void handleMetrics(metrics, null, req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
