/**
 * `flowscope serve --db`: the flow export setting set over the WebSocket contract survives a
 * restart (it is a row of the history database's meta table); bad values come back as
 * BAD_REQUEST naming the field; `--export URL` turns export on with those collectors at start,
 * and a bad one is one line on stderr, exit 2. Runs the built CLI (skipped when not built).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WireMessage } from '../../../common/contract'
import { CLI, ROOT } from '../capture/helpers'

const reason =
  existsSync(join(ROOT, 'out/main/cli.js')) && existsSync(join(ROOT, 'out/renderer/index.html'))
    ? null
    : 'not built: run `npx electron-vite build` first'
if (reason) console.warn(`flowexport/serve.test.ts skipped: ${reason}`)

const dir = mkdtempSync(join(tmpdir(), 'fsd-flowexport-serve-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** serve on a free loopback port; resolves with a connected API client. */
async function serve(...args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLOWSCOPE_METRICS_TOKEN: '' },
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const m = /serving at (http:\/\/\S+)/.exec(out)
      if (m) resolve(new URL(m[1]!))
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)))
  })
  const ws = new WebSocket(`ws://${url.host}/api/ws?token=${url.searchParams.get('token')}`, {
    headers: { origin: url.origin },
  })
  await new Promise((r, j) => ws.once('open', r).once('error', j))
  const pending = new Map<number, (r: unknown) => void>()
  ws.on('message', (d) => {
    const m = WireMessage.parse(JSON.parse(String(d)))
    if (m.kind === 'response') pending.get(m.id)?.(m.result)
  })
  let id = 0
  return {
    call: (method: string, params: unknown) =>
      new Promise<{ ok: boolean; value?: unknown; code?: string; message?: string }>((r) => {
        pending.set(++id, r as never)
        ws.send(JSON.stringify({ id, method, params }))
      }),
    stop: async () => {
      ws.close()
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGINT')
      await exited
      return err
    },
  }
}

const SETTING = {
  enabled: true,
  collectors: ['ipfix://127.0.0.1:4739', 'netflow9://[::1]:2055'],
  active_timeout_s: 30,
  idle_timeout_s: 10,
  domain_id: 42,
}

describe.skipIf(reason !== null)('flow export setting in flowscope serve', () => {
  it('survives a restart of serve --db', async () => {
    const db = join(dir, 'history.db')
    const a = await serve('--db', db)
    expect(await a.call('flowexport.get', {})).toMatchObject({
      ok: true,
      value: { enabled: false },
    })
    expect(await a.call('flowexport.set', SETTING)).toEqual({ ok: true, value: SETTING })
    const bad = await a.call('flowexport.set', {
      ...SETTING,
      collectors: ['ipfix://h', 'sflow://h'],
    })
    expect(bad).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(bad.message).toMatch(/^flowexport\.set: collectors\[1\]: 'sflow:\/\/h': unknown scheme/)
    expect(await a.stop()).toBe('')
    const b = await serve('--db', db)
    expect(await b.call('flowexport.get', {})).toEqual({ ok: true, value: SETTING })
    await b.stop()
    // --export: on with these collectors, the stored timeouts kept, and saved.
    const c = await serve('--db', db, '--export', 'ipfix+tcp://127.0.0.1:9995')
    const on = { ...SETTING, collectors: ['ipfix+tcp://127.0.0.1:9995'] }
    expect(await c.call('flowexport.get', {})).toEqual({ ok: true, value: on })
    await c.stop()
    const d = await serve('--db', db)
    expect(await d.call('flowexport.get', {})).toEqual({ ok: true, value: on })
    await d.stop()
  }, 60_000)

  it('keeps it in memory with --no-store', async () => {
    const a = await serve('--no-store', '--export', 'netflow9://127.0.0.1')
    expect(await a.call('flowexport.get', {})).toMatchObject({
      ok: true,
      value: { enabled: true, collectors: ['netflow9://127.0.0.1'] },
    })
    await a.stop()
    const b = await serve('--no-store')
    expect(await b.call('flowexport.get', {})).toMatchObject({
      ok: true,
      value: { enabled: false },
    })
    await b.stop()
  }, 30_000)

  it('refuses a bad --export URL: one line, exit 2', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--no-store', '--export', 'ipfix://h:0'],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(
      /serve: --export collectors\[0\]: 'ipfix:\/\/h:0': port must be 1 to 65535/,
    )
  })
})
