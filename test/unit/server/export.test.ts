import { mkdtempSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/api'
import { History } from '../../../electron/engine/history'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { FakeSysNet } from '../fakes'

let server: RunningServer
let monitor: Monitor
const dir = mkdtempSync(join(tmpdir(), 'fse-export-'))

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html>')
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  let now = 0
  monitor = new Monitor({
    sysnet,
    now: () => now,
    history: (events) => new History(events, join(dir, 'h.db'), {}, true),
  })
  monitor.sample()
  now = 1000
  sysnet.set('eth0', 12345, 678)
  monitor.sample()
  monitor.history!.close() // flushes the recorded tick; queries reopen read-only
  server = await startServer({ monitor, staticDir: dir, port: 0 })
})
afterAll(() => server.close())

const fetchText = (path: string) =>
  new Promise<{ status: number; body: string; disposition?: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port: server.port, path }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          disposition: res.headers['content-disposition'],
        }),
      )
    }).on('error', reject)
  })

describe('history export download', () => {
  it('streams a reserved export once, then refuses the ticket', async () => {
    const to_s = Math.ceil(Date.now() / 1000) + 10
    const query = { from_s: to_s - 3600, to_s, by: 'interface' as const, bucket: null, top: null }
    const r = await dispatch(
      monitor.handlers,
      'history.export',
      { query, format: 'csv' },
      { transport: 'websocket' },
    )
    if (!r.ok) throw new Error(r.message)
    const { ticket, filename } = r.value as { ticket: string; filename: string }
    const first = await fetchText(`/api/export/${ticket}`)
    expect(first.status).toBe(200)
    expect(first.disposition).toBe(`attachment; filename="${filename}"`)
    expect(first.body).toBe(
      'interface,rx_bytes,tx_bytes,rx_packets,tx_packets,drops\neth0,12345,678,0,0,0\n',
    )
    expect((await fetchText(`/api/export/${ticket}`)).status).toBe(404)
    expect((await fetchText('/api/export/not-a-real-ticket-000')).status).toBe(404)
  })
})
