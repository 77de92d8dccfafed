/**
 * The store reader thread (issue 8 item 1, issue 9 item 4): ticks keep coming while a slow
 * query runs, a query past its time limit is abandoned, a superseded query frees the reader
 * (a WebSocket client's older history.query answers CANCELLED), an abandoned export releases its
 * read transaction (checked with the sqlite3 CLI while the WAL holds frames the export's
 * snapshot depends on), and HEAD does not consume a ticket.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientCalls } from '../../../electron/engine/api'
import { History } from '../../../electron/engine/history'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { FakeSysNet } from '../../unit/fakes'
import { tempDir } from '../../unit/store/helpers'
import { ROOT } from './helpers'

const readerBuilt = existsSync(join(ROOT, 'out', 'main', 'store-reader.js'))
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0
const reason = !readerBuilt
  ? 'out/main/store-reader.js not built: run `npm run build` first'
  : !hasSqlite3
    ? 'the sqlite3 CLI is not installed'
    : null
if (reason) console.warn(`skipping store reader tests: ${reason}`)

const { dir, cleanup } = tempDir('fss-reader-')
const db = join(dir, 'h.db')
const T0 = 1_790_000_000
const CONVS = 2000
const BUCKETS = 60

/**
 * 2,000 conversations in each of 60 10 s buckets: a bucketed export of ~17 MB, more than the
 * socket buffers hold, so a client that stops reading leaves the export mid-stream.
 */
function fill(): void {
  const w = new HistoryWriter(openHistoryDb(db), db, { flush_ms: 0, maintain_ms: Infinity })
  for (let n = 0; n < CONVS * BUCKETS; n++) {
    const i = n % CONVS
    const t = (T0 + 10 * Math.floor(n / CONVS) + 5) * 1e6
    w.addConversation({
      time_us: t,
      protocol: 'tcp',
      address_a: `10.0.${i >> 8}.${i & 255}`,
      port_a: 40000 + (i % 20000),
      address_b: '192.0.2.1',
      port_b: 443,
      packets_a_to_b: 1 + i,
      bytes_a_to_b: 100 * (1 + i),
      packets_b_to_a: 1,
      bytes_b_to_a: 60,
      retransmissions: 0,
      first_seen_us: t - 1e6,
      last_seen_us: t,
      handshake_rtt_ms: null,
    })
  }
  w.close()
}

const query = {
  from_s: T0,
  to_s: T0 + 10 * BUCKETS,
  by: 'conversation' as const,
  bucket: null,
  top: null,
}
const bucketed = { ...query, bucket: '10s' as const }

function sqliteCheckpoint(): { busy: number; log: number } {
  const out = execFileSync('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE);'], {
    encoding: 'utf8',
  })
  const [busy, log] = out.trim().split('|').map(Number)
  return { busy: busy!, log: log! }
}

describe.skipIf(reason !== null)('store reader thread', () => {
  let server: RunningServer
  let monitor: Monitor
  let ticks = 0

  beforeAll(async () => {
    fill()
    writeFileSync(join(dir, 'index.html'), '<!doctype html>')
    const sysnet = new FakeSysNet()
    sysnet.set('eth0', 0)
    monitor = new Monitor({
      sysnet,
      tickMs: 50,
      history: (events) =>
        new History(events, db, {}, false, { reader: { slow_ms: 1200, timeout_ms: 10_000 } }),
    })
    monitor.events.on('bandwidth.tick', () => ticks++)
    server = await startServer({ monitor, staticDir: dir, port: 0 })
  })
  afterAll(async () => {
    await monitor.stop()
    await server.close()
    cleanup()
  })

  it('keeps ticking while a deliberately slow query runs', async () => {
    monitor.start()
    const before = ticks
    let settled = false
    const pending = monitor.handlers['history.query'](query, { transport: 'websocket' })
    void Promise.resolve(pending).finally(() => (settled = true))
    // The reader blocks its own thread for 1.2 s: ticks must keep arriving meanwhile.
    while (!settled && ticks - before < 6) await new Promise((r) => setTimeout(r, 20))
    expect(settled).toBe(false)
    expect(ticks - before).toBeGreaterThanOrEqual(6)
    const res = await pending
    expect(res.rows.length).toBe(CONVS)
    expect(res.rows[0]).toMatchObject({ packets_a_to_b: CONVS * BUCKETS })
    expect(res.truncated).toBe(false)
  })

  it('abandons a query past its time limit and answers the next one', async () => {
    const events = monitor.events
    const h = new History(events, db, {}, false, { reader: { slow_ms: 2000, timeout_ms: 200 } })
    const t0 = performance.now()
    await expect(h.query(query)).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(performance.now() - t0).toBeLessThan(1500)
    const ac = new AbortController()
    const p = h.query(query, ac.signal)
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' })
    h.close()
    const fresh = new History(events, db, {}, false)
    expect((await fresh.query({ ...query, top: 3 })).rows.length).toBe(3)
    fresh.close()
  })

  it('a superseded slow query frees the reader: the next one answers before it would have', async () => {
    // Only the first thread is slow (2.5 s before its query); the replacement is not.
    const h = new History(monitor.events, db, {}, false, {
      reader: { slow_ms: 2500, slow_threads: 1, timeout_ms: 20_000 },
    })
    const calls = new ClientCalls()
    const t0 = performance.now()
    const first = calls.begin('history.query')
    const slow = h.query(query, first.signal)
    const slowSettled = slow.then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    )
    await new Promise((r) => setTimeout(r, 150))
    const second = calls.begin('history.query') // supersedes the first
    const res = await h.query({ ...query, top: 5 }, second.signal)
    const elapsed = performance.now() - t0
    expect(await slowSettled).toBe('CANCELLED')
    expect(res.rows.length).toBe(5)
    expect(elapsed).toBeLessThan(2500)
    // The replaced thread really ended (its wait is interruptible; a statement inside SQLite
    // would end it at the end of its step).
    const r = h as unknown as { reader: { dyingThreads: number } }
    for (let i = 0; i < 100 && r.reader.dyingThreads > 0; i++)
      await new Promise((res) => setTimeout(res, 20))
    expect(r.reader.dyingThreads).toBe(0)
    h.close()
  })

  it("a WebSocket client's newer history.query cancels its older one", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`, {
      headers: { origin: `http://127.0.0.1:${server.port}` },
    })
    const got = new Map<number, { ok: boolean; code?: string }>()
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { kind: string; id: number; result: never }
      if (m.kind === 'response') got.set(m.id, m.result)
    })
    await new Promise((r) => ws.once('open', r))
    ws.send(JSON.stringify({ id: 1, method: 'history.query', params: query }))
    await new Promise((r) => setTimeout(r, 100))
    ws.send(JSON.stringify({ id: 2, method: 'history.query', params: { ...query, top: 2 } }))
    for (let i = 0; i < 500 && got.size < 2; i++) await new Promise((r) => setTimeout(r, 20))
    ws.close()
    expect(got.get(1)).toMatchObject({ ok: false, code: 'CANCELLED' })
    expect(got.get(2)).toMatchObject({ ok: true, value: { rows: [{}, {}] } })
  })

  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
        let bytes = 0
        res.on('data', (d: Buffer) => (bytes += d.length))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      })
      req.on('error', reject)
      req.end()
    })

  /** Reads the first bytes of a download, then stops reading; `cut()` closes the socket. */
  const stall = (path: string) =>
    new Promise<{ cut: () => void }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path }, (res) => {
        res.once('data', () => {
          res.pause()
          resolve({ cut: () => req.destroy() })
        })
      })
      req.on('error', () => undefined)
      req.once('response', (res) => res.statusCode !== 200 && reject(new Error('not 200')))
      req.end()
    })

  const ticket = async () => {
    const t = await monitor.handlers['history.export'](
      { query: bucketed, format: 'csv' },
      { transport: 'websocket' },
    )
    return t.ticket
  }

  it('HEAD does not consume a ticket; the GET streams the whole export', async () => {
    const t = await ticket()
    expect((await get(`/api/export/${t}`, 'HEAD')).status).toBe(200)
    const full = await get(`/api/export/${t}`)
    expect(full.status).toBe(200)
    expect(full.bytes).toBeGreaterThan(10_000_000)
    expect((await get(`/api/export/${t}`)).status).toBe(404)
  })

  /**
   * A writer that never checkpoints, so the WAL keeps frames: an export started now takes a
   * snapshot that depends on them (with an empty WAL a reader pins nothing a TRUNCATE needs).
   */
  let iface = 0
  const walWriter = () => {
    // Not openHistoryDb: its fs header check would drop this process's SQLite locks (see
    // inspectDb), and the sqlite3 CLI would then delete the WAL as the "last" connection.
    const conn = new Database(db)
    conn.pragma('wal_autocheckpoint = 0')
    const w = new HistoryWriter(conn, db, { flush_ms: 0, maintain_ms: Infinity })
    const write = () => {
      w.addInterface({
        time_us: (T0 + 1000 + 10 * iface++) * 1e6,
        name: 'lo',
        rx_bytes: 1,
        tx_bytes: 1,
        rx_packets: 1,
        tx_packets: 1,
        drops: 0,
      })
      w.flush()
    }
    return { w, write }
  }
  const walBytes = () => statSync(`${db}-wal`).size

  /** Checkpoints until no reader is busy (at most 5 s), then the WAL must be empty. */
  async function expectReleased(): Promise<void> {
    let last = sqliteCheckpoint()
    for (let i = 0; i < 50 && last.busy !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      last = sqliteCheckpoint()
    }
    expect(last).toEqual({ busy: 0, log: 0 })
    expect(walBytes()).toBe(0) // TRUNCATE emptied the -wal file
  }

  it('an export whose consumer stops pulling holds its read; leaving it releases it', async () => {
    const { w, write } = walWriter()
    write()
    expect(walBytes()).toBeGreaterThan(0)
    const download = monitor.history!.redeem(await ticket())!
    const chunks = download.chunks()
    expect((await chunks.next()).value).toMatch(/^bucket_start,protocol/)
    write() // frames after the export's snapshot
    // Held: the export's snapshot pins the WAL, so TRUNCATE cannot reset it.
    expect(sqliteCheckpoint().busy).toBe(1)
    await chunks.return(undefined) // the consumer went away
    await expectReleased()
    w.close()
  })

  it('an export abandoned mid-download (socket closed) releases its read transaction', async () => {
    const { w, write } = walWriter()
    write()
    const t = await ticket()
    const download = await stall(`/api/export/${t}`)
    await new Promise((r) => setTimeout(r, 300)) // socket buffers fill; the server waits
    write()
    expect(sqliteCheckpoint().busy).toBe(1)
    download.cut()
    // Poll: the server notices the closed socket, the reader leaves the statement.
    await expectReleased()
    w.close()
  })
})
