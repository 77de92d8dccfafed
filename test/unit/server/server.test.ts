import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WireMessage } from '../../../common/contract'
import {
  hostAllowed,
  isLoopback,
  originAllowed,
  parseHost,
  parseTarget,
  singleParam,
  tokenMatches,
} from '../../../electron/server/access'
import { RequestRate } from '../../../electron/server/limits'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { FakeSysNet } from '../fakes'

let server: RunningServer
let monitor: Monitor
const sysnet = new FakeSysNet()

beforeAll(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'fse-static-'))
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  sysnet.set('eth0', 0)
  monitor = new Monitor({ sysnet })
  server = await startServer({ monitor, staticDir, port: 0 })
})
afterAll(() => server.close())

const origin = () => `http://127.0.0.1:${server.port}`

/** Opens a WebSocket and reports how the upgrade ended: 'open' or the HTTP status. */
function tryConnect(
  query: string,
  headers: Record<string, string>,
): Promise<{ status: number | 'open'; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws${query}`, { headers })
    ws.on('open', () => resolve({ status: 'open', ws }))
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }))
    ws.on('error', () => resolve({ status: 0 }))
  })
}

function httpGet(path: string, host: string): Promise<{ status: number; csp: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: { host } },
      (res) => {
        res.resume()
        resolve({
          status: res.statusCode ?? 0,
          csp: res.headers['content-security-policy'] as string | undefined,
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** The token with its last character changed (never to the same character). */
const wrongLast = (token: string) => token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x')

describe('serve mode access control', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{32}$`),
    )
  })

  it('refuses the API without the token, or with a wrong one', async () => {
    expect((await tryConnect('', { origin: origin() })).status).toBe(401)
    expect((await tryConnect('?token=nope', { origin: origin() })).status).toBe(401)
    expect(
      (await tryConnect(`?token=${wrongLast(server.token)}`, { origin: origin() })).status,
    ).toBe(401)
  })

  it('refuses a foreign or missing Origin even with the token', async () => {
    expect(
      (await tryConnect(`?token=${server.token}`, { origin: 'http://evil.example' })).status,
    ).toBe(403)
    expect(
      (
        await tryConnect(`?token=${server.token}`, {
          origin: `http://localhost:${server.port + 1}`,
        })
      ).status,
    ).toBe(403)
    expect((await tryConnect(`?token=${server.token}`, {})).status).toBe(403)
  })

  it('refuses a rebound DNS name in Host (page and API)', async () => {
    const host = `attacker.example:${server.port}`
    expect((await httpGet('/', host)).status).toBe(421)
    const r = await tryConnect(`?token=${server.token}`, { host, origin: `http://${host}` })
    expect(r.status).toBe(421)
  })

  it('serves the page with a strict Content-Security-Policy', async () => {
    const r = await httpGet('/', `127.0.0.1:${server.port}`)
    expect(r.status).toBe(200)
    expect(r.csp).toContain("script-src 'self'")
    expect(r.csp).not.toContain('unsafe')
  })

  it('answers requests and streams events with the token and our Origin', async () => {
    const { status, ws } = await tryConnect(`?token=${server.token}`, { origin: origin() })
    expect(status).toBe('open')
    const messages: WireMessage[] = []
    ws!.on('message', (d) => messages.push(WireMessage.parse(JSON.parse(String(d)))))
    ws!.send(JSON.stringify({ id: 7, method: 'app.info', params: {} }))
    ws!.send(JSON.stringify({ id: 8, method: 'nope', params: {} }))
    monitor.sample()
    await expect.poll(() => messages.length).toBeGreaterThanOrEqual(3)
    const byId = (id: number) => messages.find((m) => m.kind === 'response' && m.id === id)
    expect(byId(7)).toMatchObject({ result: { ok: true, value: { transport: 'websocket' } } })
    expect(byId(8)).toMatchObject({ result: { ok: false, code: 'UNKNOWN_METHOD' } })
    expect(messages.some((m) => m.kind === 'event' && m.event === 'bandwidth.tick')).toBe(true)
    ws!.close()
  })

  it('closes the socket on a malformed request', async () => {
    const { ws } = await tryConnect(`?token=${server.token}`, { origin: origin() })
    const code = new Promise<number>((resolve) => ws!.on('close', (c) => resolve(c)))
    ws!.send('{not json')
    expect(await code).toBe(1008)
  })
})

describe('host and origin rules', () => {
  it('accepts IP literals, localhost and the right port only', () => {
    expect(parseHost('[::1]:7878')).toEqual({ name: '::1', port: '7878' })
    expect(hostAllowed('127.0.0.1:7878', 7878)).toBe(true)
    expect(hostAllowed('[::1]:7878', 7878)).toBe(true)
    expect(hostAllowed('localhost:7878', 7878)).toBe(true)
    expect(hostAllowed('localhost:7879', 7878)).toBe(false)
    expect(hostAllowed('rebind.example.com:7878', 7878)).toBe(false)
    expect(hostAllowed(undefined, 7878)).toBe(false)
    expect(originAllowed('http://127.0.0.1:7878', '127.0.0.1:7878')).toBe(true)
    expect(originAllowed('null', '127.0.0.1:7878')).toBe(false)
  })
})

describe('access checks are total', () => {
  it('compares tokens of any length, and only equal ones match', () => {
    const t = 'A'.repeat(32)
    expect(tokenMatches(t, t)).toBe(true)
    expect(tokenMatches(t, null)).toBe(false)
    expect(tokenMatches(t, '')).toBe(false)
    expect(tokenMatches(t, `${t}A`)).toBe(false)
    expect(tokenMatches(t, 'A'.repeat(31))).toBe(false)
    expect(tokenMatches(t, 'x'.repeat(100_000))).toBe(false)
    expect(tokenMatches(t, '\u0000\ud800%ZZ')).toBe(false)
  })

  it('splits only origin-form targets, without decoding', () => {
    expect(parseTarget('/api/ws?token=%ZZ')?.query.get('token')).toBe('%ZZ')
    expect(parseTarget('/')).toMatchObject({ path: '/' })
    for (const bad of [
      '//[',
      '',
      undefined,
      '*',
      'http://x/',
      '/a b',
      '/a#b',
      '/\u00e9',
      `/${'a'.repeat(5000)}`,
    ])
      expect(parseTarget(bad), String(bad)).toBeNull()
    const q = parseTarget('/api/ws?token=a&token=a')!.query
    expect(singleParam(q, 'token')).toBeNull()
    expect(singleParam(q, 'other')).toBeNull()
  })

  it('reads Host and Origin for https, and odd Host values as refusals', () => {
    expect(hostAllowed('127.0.0.1', 443, [], 'https')).toBe(true)
    expect(hostAllowed('127.0.0.1', 80, [], 'https')).toBe(false)
    expect(originAllowed('https://127.0.0.1:7878', '127.0.0.1:7878', 'https')).toBe(true)
    expect(originAllowed('http://127.0.0.1:7878', '127.0.0.1:7878', 'https')).toBe(false)
    for (const h of [
      '[',
      '[::1',
      'a b:1',
      'evil@127.0.0.1:1',
      '127.0.0.1:99999999',
      'x'.repeat(400),
    ])
      expect(hostAllowed(h, 1), h).toBe(false)
    expect(hostAllowed('127.0.0.1:07878', 7878)).toBe(true)
  })

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopback(a), a).toBe(true)
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.evil.example', 'myhost'])
      expect(isLoopback(a), a).toBe(false)
  })

  it('counts requests per second: ok, then refuse, then close', () => {
    let now = 0
    const r = new RequestRate(3, () => now)
    expect([1, 2, 3, 4, 5, 6, 7].map(() => r.take())).toEqual([
      'ok',
      'ok',
      'ok',
      'refuse',
      'refuse',
      'refuse',
      'close',
    ])
    now = 1000
    expect(r.take()).toBe('ok')
  })
})
