/**
 * Serve mode's capture-file upload (POST /api/capture-file): token and Origin as the API, a
 * size bound, a private temporary copy opened by the real capture worker into the
 * Connections view and unlinked as soon as the worker has it open; a file that is not a capture is
 * refused with the worker's reason and leaves nothing behind.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_VIEW } from '../../../common/capture'
import type { CaptureTick } from '../../../common/contract'
import { Monitor } from '../../../electron/engine/monitor'
import { forkLauncherAt } from '../../../electron/engine/workers/launcher'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { ipv4, u8, udp } from '../../unit/decode/frames'
import { pcapFile } from '../../unit/capture/pcap-file'
import { FakeSysNet } from '../../unit/fakes'
import { WORKER, unavailable } from '../capture/helpers'

const skip = unavailable({})
if (skip) console.warn(`server/upload.test.ts skipped: ${skip}`)

const uploads = mkdtempSync(join(tmpdir(), 'fsu-tmp-'))
const leftovers = () => readdirSync(uploads).filter((f) => f.startsWith('flowscope-upload-'))
let server: RunningServer
let monitor: Monitor
let oldTmp: string | undefined

beforeAll(async () => {
  if (skip) return
  // os.tmpdir() reads TMPDIR on each call: the uploads land where the test can see them.
  oldTmp = process.env.TMPDIR
  process.env.TMPDIR = uploads
  const staticDir = mkdtempSync(join(uploads, 'static-'))
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  monitor = new Monitor({ sysnet, launcher: forkLauncherAt(() => WORKER) })
  server = await startServer({ monitor, staticDir, port: 0, maxUploadBytes: 64 * 1024 })
})
afterAll(async () => {
  if (skip) return
  await monitor.capture.stop()
  await server.close()
  process.env.TMPDIR = oldTmp
  rmSync(uploads, { recursive: true, force: true })
})

function post(
  query: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{
  status: number
  json: { ok: boolean; code?: string; message?: string; value?: { file?: string } }
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/api/capture-file${query}`,
        headers: {
          origin: `http://127.0.0.1:${server.port}`,
          'content-length': String(body.length),
          ...headers,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** 40 UDP conversations from 10.1.0.1:5000 to 10.2.0.1:(7000+i), 3 packets each. */
function capture(): Buffer {
  const frames = []
  for (let i = 0; i < 40; i++)
    for (let p = 0; p < 3; p++)
      frames.push({
        tsUs: 1_700_000_000_000_000 + (i * 3 + p) * 1000,
        data: u8(ipv4(udp(5000, 7000 + i), { src: '10.1.0.1', dst: '10.2.0.1', proto: 17 })),
      })
  return pcapFile(frames, 101)
}

describe.skipIf(skip)('POST /api/capture-file', () => {
  it('refuses a missing token, another origin and a file over the limit', async () => {
    const tok = `?token=${server.token}&name=a.pcap`
    expect((await post('?name=a.pcap', capture())).status).toBe(401)
    expect((await post(tok, capture(), { origin: 'http://evil.example' })).status).toBe(403)
    const big = await post(tok, Buffer.alloc(64 * 1024 + 1))
    expect(big.status).toBe(413)
    expect(big.json.ok).toBe(false)
    expect(leftovers()).toEqual([])
  })

  it('refuses a file that is not a capture with the reason, and keeps nothing', async () => {
    const r = await post(`?token=${server.token}&name=notes.txt`, Buffer.from('hello\n'.repeat(20)))
    expect(r.status).toBe(400)
    expect(r.json.ok).toBe(false)
    console.log(`not a capture: ${JSON.stringify(r.json)}`)
    expect(r.json.message).toMatch(/^notes\.txt is not a readable pcap or pcapng file/)
    expect(leftovers()).toEqual([])
  })

  it('opens an upload in the Connections view; the private copy goes when it stops', async () => {
    const ticks: CaptureTick[] = []
    const off = monitor.events.on('capture.tick', (t) => ticks.push(t))
    monitor.capture.setView({ ...DEFAULT_VIEW, filter: '10.2.0.1:7039', limit: 10 })
    const r = await post(
      `?token=${server.token}&name=${encodeURIComponent('../x/up.pcap')}`,
      capture(),
    )
    expect(r.status).toBe(200)
    expect(r.json.value?.file).toBe('up.pcap') // a name, never a path
    // Unlinked once the worker has it open: nothing to leave behind even if the engine is killed.
    expect(leftovers()).toEqual([])
    for (let i = 0; i < 50 && !ticks.some((t) => t.eof); i++)
      await new Promise((s) => setTimeout(s, 100))
    const last = [...ticks].reverse().find((t) => t.eof)!
    expect(last.snapshot.packets).toBe(120)
    // An in-process caller's view (no connection) is the engine's `local` one.
    expect(last.views?.local).toMatchObject({ flows: 40, matched: 1 })
    expect(last.views!.local!.rows[0]).toMatchObject({
      b: '10.2.0.1',
      port_b: 7039,
      packets_a_to_b: 3,
    })
    off()
    await monitor.capture.stop()
    expect(leftovers()).toEqual([])
  })
})
