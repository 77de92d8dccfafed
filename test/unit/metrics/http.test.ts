/** serve's /metrics: only with --metrics; a token, when set, is required as a Bearer header. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../../../electron/engine/metrics'
import { serveMetrics } from '../../../electron/engine/metrics/http'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { FakeSysNet } from '../fakes'

const servers: RunningServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

async function serve(token: string | null | undefined) {
  const staticDir = mkdtempSync(join(tmpdir(), 'fs-metrics-static-'))
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 4242)
  const monitor = new Monitor({ sysnet })
  monitor.sample()
  const metrics =
    token === undefined
      ? undefined
      : {
          metrics: createMetrics({ events: monitor.events, counters: () => monitor.lastCounters }),
          token,
        }
  const s = await startServer({ monitor, staticDir, port: 0, metrics })
  servers.push(s)
  return s
}

const get = (port: number, headers: Record<string, string>, path = '/metrics') =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      )
    })
    req.on('error', reject)
    req.end()
  })

describe('serve /metrics', () => {
  it('serves the exposition without the URL token when enabled', async () => {
    const s = await serve(null)
    const r = await get(s.port, { host: `127.0.0.1:${s.port}` })
    expect(r.status).toBe(200)
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(r.body).toContain('flowscope_network_receive_bytes_total{device="eth0"} 4242')
    // Without a token the DNS-rebinding rule holds: a foreign DNS name in Host is refused.
    expect((await get(s.port, { host: `evil.example:${s.port}` })).status).toBe(421)
  })

  it('with a token, requires it as a Bearer header (and accepts fleet DNS names)', async () => {
    const token = 'abcdefghijklmnop-0123'
    const s = await serve(token)
    const host = `ws-01.example.net:${s.port}`
    expect((await get(s.port, { host })).status).toBe(401)
    expect((await get(s.port, { host, authorization: 'Bearer wrong-token-0123456' })).status).toBe(
      401,
    )
    expect((await get(s.port, { host, authorization: `Basic ${token}` })).status).toBe(401)
    const ok = await get(s.port, { host, authorization: `Bearer ${token}` })
    expect(ok.status).toBe(200)
    expect(ok.body).toContain('flowscope_network_up{device="eth0"}')
  })

  it('is not served without --metrics', async () => {
    const s = await serve(undefined)
    const r = await get(s.port, { host: `127.0.0.1:${s.port}` })
    expect(r.body).not.toContain('flowscope_')
  })

  it("the desktop app's listener serves only /metrics, on loopback", async () => {
    const sysnet = new FakeSysNet()
    sysnet.set('wlan0', 77)
    const monitor = new Monitor({ sysnet })
    monitor.sample()
    const m = createMetrics({ events: monitor.events, counters: () => monitor.lastCounters })
    const listener = await serveMetrics(m, 0)
    try {
      const r = await get(listener.port, {})
      expect(r.status).toBe(200)
      expect(r.body).toContain('flowscope_network_receive_bytes_total{device="wlan0"} 77')
      expect((await get(listener.port, {}, '/')).status).toBe(404)
    } finally {
      await listener.close()
    }
  })
})
