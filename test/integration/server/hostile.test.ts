/**
 * Serve mode under hostile input, over raw sockets: malformed request and upgrade lines, bad
 * escapes, duplicate and oversized headers, slow headers, floods and clients that never read.
 * After each, the server must have answered with a status (never crashed) and still serve a
 * valid request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WireMessage } from '../../../common/contract'
import type { History } from '../../../electron/engine/history'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { FakeSysNet } from '../../unit/fakes'

let server: RunningServer
let monitor: Monitor
const logged: string[] = []
const staticDir = mkdtempSync(join(tmpdir(), 'fse-hostile-'))

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(staticDir, 'gone.txt'), 'here at start, removed by a test')
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  monitor = new Monitor({ sysnet })
  // A history whose redeem throws: stands in for any bug inside a request handler.
  ;(monitor as { history: unknown }).history = {
    redeem: () => {
      throw new Error('redeem exploded')
    },
  } as unknown as History
  server = await startServer({
    monitor,
    staticDir,
    port: 0,
    log: (line) => logged.push(line),
    limits: {
      headersTimeoutMs: 400,
      requestTimeoutMs: 2000,
      maxRequestsPerSecond: 20,
      maxClients: 4,
      maxBufferedBytes: 256 * 1024,
    },
  })
})
afterAll(() => server.close())

const hostHdr = () => `127.0.0.1:${server.port}`
const originHdr = () => `http://127.0.0.1:${server.port}`
const upgradeHeaders = (extra = '') =>
  `Host: ${hostHdr()}\r\nOrigin: ${originHdr()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`

/** Writes raw bytes, returns everything the server sent until it closed (or 3 s passed). */
function raw(bytes: string | Buffer, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(server.port, '127.0.0.1')
    let text = ''
    const done = (closed: boolean) => {
      clearTimeout(timer)
      s.destroy()
      resolve({ text, closed })
    }
    const timer = setTimeout(() => done(false), waitMs)
    s.on('data', (d) => (text += d.toString('latin1')))
    s.on('close', () => done(true))
    s.on('error', () => {})
    s.write(bytes)
  })
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)

function connectWs(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${hostHdr()}/api/ws?token=${server.token}`, {
      headers: { origin: originHdr() },
    })
    ws.on('open', () => resolve(ws))
    ws.on('unexpected-response', (_q, res) => reject(new Error(`upgrade: ${res.statusCode}`)))
    ws.on('error', reject)
  })
}

/** A valid page request and a valid API round trip both still work. */
async function stillServes(): Promise<void> {
  const page = await raw(`GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nConnection: close\r\n\r\n`)
  expect(statusOf(page.text)).toBe(200)
  const ws = await connectWs()
  const reply = new Promise<WireMessage>((resolve) =>
    ws.on('message', (d) => {
      const m = WireMessage.parse(JSON.parse(String(d)))
      if (m.kind === 'response') resolve(m)
    }),
  )
  ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }))
  expect(await reply).toMatchObject({ id: 1, result: { ok: true } })
  ws.close()
}

describe('serve mode survives malformed requests (raw sockets)', () => {
  // [what, the bytes sent, the status expected]
  const cases: [string, () => string | Buffer, number][] = [
    ['upgrade for //[', () => `GET //[ HTTP/1.1\r\n${upgradeHeaders()}`, 400],
    [
      'upgrade with a bad %-escape in the token',
      () => `GET /api/ws?token=%ZZ%E0%A4%A HTTP/1.1\r\n${upgradeHeaders()}`,
      401,
    ],
    [
      'upgrade with the right token twice',
      () =>
        `GET /api/ws?token=${server.token}&token=${server.token} HTTP/1.1\r\n${upgradeHeaders()}`,
      401,
    ],
    [
      'upgrade with the token in a bad escape of itself',
      () => `GET /api/ws?token=${server.token}% HTTP/1.1\r\n${upgradeHeaders()}`,
      401,
    ],
    [
      'upgrade in absolute form',
      () => `GET http://127.0.0.1/api/ws?token=${server.token} HTTP/1.1\r\n${upgradeHeaders()}`,
      400,
    ],
    [
      'upgrade with two Host headers (second one foreign)',
      () =>
        `GET /api/ws?token=${server.token} HTTP/1.1\r\n${upgradeHeaders('Host: evil.example\r\n')}`,
      400,
    ],
    [
      'upgrade with two Origin headers',
      () =>
        `GET /api/ws?token=${server.token} HTTP/1.1\r\n${upgradeHeaders('Origin: http://evil.example\r\n')}`,
      403,
    ],
    [
      'upgrade with a Host of [',
      () =>
        `GET /api/ws?token=${server.token} HTTP/1.1\r\n` +
        upgradeHeaders().replace(`Host: ${hostHdr()}`, 'Host: ['),
      421,
    ],
    [
      'upgrade with a bad Sec-WebSocket-Key',
      () =>
        `GET /api/ws?token=${server.token} HTTP/1.1\r\n` +
        upgradeHeaders().replace('dGhlIHNhbXBsZSBub25jZQ==', '%%%'),
      400,
    ],
    ['upgrade for another path', () => `GET /x HTTP/1.1\r\n${upgradeHeaders()}`, 404],
    ['page request for //[', () => `GET //[ HTTP/1.1\r\nHost: ${hostHdr()}\r\n\r\n`, 400],
    [
      'page request with a %-escape that is not one',
      // sirv serves the single-page app's index.html for any path it has no file for
      () => `GET /%ZZ%%/%C0%AF HTTP/1.1\r\nHost: ${hostHdr()}\r\nConnection: close\r\n\r\n`,
      200,
    ],
    ['garbage request line', () => Buffer.from([0, 1, 2, 0xff, 13, 10, 13, 10]), 400],
    ['no method', () => `/ HTTP/1.1\r\nHost: ${hostHdr()}\r\n\r\n`, 400],
    ['unknown HTTP version', () => `GET / HTTP/9.9\r\nHost: ${hostHdr()}\r\n\r\n`, 400],
    ['header line without a colon', () => `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nX\r\n\r\n`, 400],
    [
      'two Host headers',
      () => `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nHost: evil.example\r\n\r\n`,
      400,
    ],
    ['no Host header', () => `GET / HTTP/1.1\r\n\r\n`, 400],
    [
      'a Host with userinfo',
      () =>
        `GET / HTTP/1.1\r\nHost: evil.example@127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      421,
    ],
    [
      'oversized headers',
      () => `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`,
      431,
    ],
    ['a POST', () => `POST / HTTP/1.1\r\nHost: ${hostHdr()}\r\nContent-Length: 2\r\n\r\nhi`, 405],
    [
      'a GET with a body',
      () => `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nContent-Length: 5\r\n\r\nhello`,
      413,
    ],
    [
      'a GET with a chunked body',
      () => `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      413,
    ],
    [
      'conflicting Content-Length and Transfer-Encoding',
      () =>
        `GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`,
      400,
    ],
    ['a bare LF header block', () => `GET / HTTP/1.1\nHost: ${hostHdr()}\n\n`, 400],
    [
      'a request target over 4 KiB',
      () => `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: ${hostHdr()}\r\n\r\n`,
      400,
    ],
  ]

  it.each(cases.map(([n, b, st]) => [n, st, b] as const))(
    '%s: answers %i and keeps serving',
    async (_name, status, bytes) => {
      const before = logged.length
      const r = await raw(bytes())
      expect(statusOf(r.text), r.text.slice(0, 200)).toBe(status)
      expect(r.closed).toBe(true)
      // A client's mistake is not a bug of ours: nothing was logged as one.
      expect(logged.slice(before)).toEqual([])
      await stillServes()
    },
  )

  it('logs a handler that throws as a bug (without the query), answers 500, keeps serving', async () => {
    const before = logged.length
    const r = await raw(
      `GET /api/export/AAAAAAAAAAAAAAAAAAAA?token=secret-in-query HTTP/1.1\r\nHost: ${hostHdr()}\r\n\r\n`,
    )
    expect(statusOf(r.text)).toBe(500)
    const lines = logged.slice(before)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/bug while handling GET "\/api\/export\/A+": Error: redeem exploded/)
    expect(lines[0]).toMatch(/\n\s+at /) // the stack, for whoever fixes it
    expect(lines[0]).not.toContain('secret-in-query')
    await stillServes()
  })

  it('survives a static file that vanished after start (a stream error sirv leaves unheard)', async () => {
    rmSync(join(staticDir, 'gone.txt'))
    const before = logged.length
    const r = await raw(`GET /gone.txt HTTP/1.1\r\nHost: ${hostHdr()}\r\n\r\n`)
    expect(r.closed).toBe(true)
    expect(logged.slice(before).join('\n')).toMatch(
      /cannot read a static file for GET "\/gone.txt": ENOENT/,
    )
    await stillServes()
  })

  it('closes a connection whose headers arrive too slowly (slowloris) with 408', async () => {
    const s = connect(server.port, '127.0.0.1')
    let text = ''
    s.on('data', (d) => (text += d))
    s.on('error', () => {})
    const closed = new Promise<number>((resolve) => s.on('close', () => resolve(Date.now())))
    const start = Date.now()
    s.write(`GET / HTTP/1.1\r\nHost: ${hostHdr()}\r\n`)
    const drip = setInterval(() => s.writable && s.write('X-A: b\r\n'), 100)
    const end = await Promise.race([
      closed,
      new Promise<number>((r) => setTimeout(() => r(0), 5000)),
    ])
    clearInterval(drip)
    s.destroy()
    expect(end, 'still open after 5 s').toBeGreaterThan(0)
    expect(statusOf(text)).toBe(408)
    expect(end - start).toBeLessThan(3000)
    await stillServes()
  })

  it('closes an idle connection that never sends a request', async () => {
    const r = await raw('', 5000)
    expect(r.closed).toBe(true)
  })
})

describe('serve mode bounds what one WebSocket client can take', () => {
  it('refuses requests past the rate, then closes a client that keeps on', async () => {
    const ws = await connectWs()
    const results: WireMessage[] = []
    ws.on('message', (d) => results.push(WireMessage.parse(JSON.parse(String(d)))))
    const closed = new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)))
    for (let i = 0; i < 30; i++) ws.send(JSON.stringify({ id: i, method: 'app.info', params: {} }))
    await expect.poll(() => results.filter((m) => m.kind === 'response').length).toBe(30)
    const responses = results.filter((m) => m.kind === 'response')
    const refused = responses.filter((m) => !m.result.ok)
    expect(refused.length).toBe(10)
    expect(refused[0]).toMatchObject({
      result: { code: 'UNAVAILABLE', message: expect.stringMatching(/at most 20 per second/) },
    })
    for (let i = 0; i < 20; i++)
      ws.send(JSON.stringify({ id: 100 + i, method: 'app.info', params: {} }))
    expect(await closed).toBe(1008)
    await stillServes()
  })

  it('caps WebSocket clients (503) and frees the slot when one leaves', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectWs()))
    await expect(connectWs()).rejects.toThrow(/upgrade: 503/)
    const gone = new Promise((r) => clients[0]!.on('close', r))
    clients[0]!.close()
    await gone
    await expect
      .poll(async () =>
        connectWs().then(
          (w) => (w.close(), 'ok'),
          () => 'refused',
        ),
      )
      .toBe('ok')
    await Promise.all(
      clients.slice(1).map((c) => {
        const done = new Promise((r) => c.on('close', r))
        c.close()
        return done
      }),
    )
  })

  it('refuses an oversized message (1009) and binary frames (1008)', async () => {
    const big = await connectWs()
    const c1 = new Promise<number>((r) => big.on('close', (c) => r(c)))
    big.send('x'.repeat(100 * 1024))
    expect(await c1).toBe(1009)
    const bin = await connectWs()
    const c2 = new Promise<number>((r) => bin.on('close', (c) => r(c)))
    bin.send(Buffer.from('{"id":1}'))
    expect(await c2).toBe(1008)
  })

  it('skips events for a client that does not read, and closes it when it asks for more', async () => {
    // A raw WebSocket client that completes the handshake and then never reads.
    const s = connect(server.port, '127.0.0.1')
    s.on('error', () => {})
    await new Promise<void>((resolve) => {
      s.once('data', () => resolve())
      s.write(`GET /api/ws?token=${server.token} HTTP/1.1\r\n${upgradeHeaders()}`)
    })
    s.pause()
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()))
    // A reader on the side must keep getting events throughout.
    const reader = await connectWs()
    let readerEvents = 0
    reader.on('message', () => readerEvents++)
    const payload = { blob: 'x'.repeat(512 * 1024) }
    for (let i = 0; i < 64; i++) {
      monitor.events.emit('bandwidth.tick', payload as never)
      await new Promise((r) => setTimeout(r, 5))
    }
    await expect.poll(() => readerEvents, { timeout: 10_000 }).toBe(64)
    // Kernel buffers are full and the server's queue for s is at its bound; a request from s
    // can't be answered without queueing past it, so the server drops s instead.
    const mask = Buffer.from([1, 2, 3, 4])
    const body = Buffer.from(JSON.stringify({ id: 9, method: 'app.info', params: {} }))
    const frame = Buffer.concat([
      Buffer.from([0x81, 0x80 | body.length]),
      mask,
      body.map((b, i) => b ^ mask[i % 4]!),
    ])
    s.write(frame)
    s.resume() // drain so the close becomes visible
    await closed
    reader.close()
    await stillServes()
  })
})
