/** Issue 9 item 5 (store): owner-only files, SQLITE_BUSY retried instead of stopping history. */
import Database from 'better-sqlite3'
import { execFileSync, spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from './helpers'

const { dir, cleanup } = tempDir('fss-files-')
afterAll(cleanup)
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0
if (!hasSqlite3) console.warn('skipping the sqlite3 CLI check: sqlite3 is not installed')

const tick = (time_us: number) => ({
  time_us,
  name: 'eth0',
  rx_bytes: 100,
  tx_bytes: 1,
  rx_packets: 1,
  tx_packets: 1,
  drops: 0,
})

describe('history files', () => {
  it('creates the directory 0700 and the database, WAL and SHM 0600', () => {
    const path = join(dir, 'new', 'sub', 'h.db')
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0 })
    w.addInterface(tick(1_790_000_005e6))
    w.flush()
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, 'new', 'sub')).mode & 0o777).toBe(0o700)
    for (const f of [path, `${path}-wal`, `${path}-shm`])
      expect(statSync(f).mode & 0o777, f).toBe(0o600)
    w.close()
  })
})

describe.skipIf(!hasSqlite3)('SQLITE_BUSY', () => {
  it('keeps the batch and retries with backoff instead of failing', () => {
    const path = join(dir, 'busy.db')
    let now = 1_000_000
    const db = openHistoryDb(path)
    db.pragma('busy_timeout = 20')
    const w = new HistoryWriter(db, path, { flush_ms: 0, maintain_ms: Infinity, now_ms: () => now })
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE') // another process holds the write lock
    w.addInterface(tick(1_790_000_005e6))
    expect(w.flush()).toBe(true)
    expect(w.state).toBe('open')
    expect(w.failure).toBeNull()
    now += 50 // still backing off: no attempt, no failure
    expect(w.flush()).toBe(true)
    other.exec('COMMIT')
    other.close()
    now += 60_000
    expect(w.flush()).toBe(true)
    expect(w.committed_rows).toBe(1)
    w.close()
    const rx = execFileSync(
      'sqlite3',
      [path, 'SELECT sum(rx_bytes) FROM iface_series WHERE step_s = 10'],
      {
        encoding: 'utf8',
      },
    )
    expect(rx.trim()).toBe('100')
  })
})
