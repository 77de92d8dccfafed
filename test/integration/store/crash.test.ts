/**
 * Crash safety: a recording process is SIGKILLed mid-write. The database must pass
 * integrity_check (ours and the sqlite3 CLI's), open without repair, and hold every batch the
 * child reported committed (at most the batch in flight may be missing or present).
 */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { tempDir } from '../../unit/store/helpers'
import { built } from './helpers'

const BATCH = 500
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0
if (!hasSqlite3) console.warn('crash test: sqlite3 CLI not found, its integrity check is skipped')

describe.skipIf(!built())('crash safety', () => {
  const tmp = tempDir('fss-crash-')
  afterAll(tmp.cleanup)

  it.each([
    [1, 'explicit'],
    [2, 'explicit'],
    [3, 'explicit'],
    [4, 'timer'],
    [5, 'timer'],
  ])('survives SIGKILL mid-write (run %i, %s flushes)', async (run, mode) => {
    const db = join(tmp.dir, `crash-${run}.db`)
    const child = spawn(
      process.execPath,
      [join(__dirname, 'crash-writer.cjs'), db, String(BATCH), mode],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    // 'close' comes after the child exited and its stdout was read to the end.
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_c, sig) => resolve(sig)),
    )
    // Kill at a different point in each run, after a few batches are in.
    const want = mode === 'timer' ? run * 2 : 10 + run * 7
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d
        if ((out.match(/committed/g) ?? []).length >= want) resolve()
      })
      child.on(
        'exit',
        (_c, sig) => sig !== 'SIGKILL' && reject(new Error(`child exited early: ${err}`)),
      )
    })
    child.kill('SIGKILL')
    expect(await closed).toBe('SIGKILL')
    const logged = [...out.matchAll(/committed (\d+)\n/g)].map((m) => Number(m[1]))
    const last = logged[logged.length - 1] as number
    if (mode === 'explicit') expect(last).toBeGreaterThanOrEqual(want * BATCH)

    if (hasSqlite3) {
      const cli = spawnSync('sqlite3', [db, 'PRAGMA integrity_check;'], { encoding: 'utf8' })
      expect(cli.stdout.trim()).toBe('ok')
    }
    const store = openHistoryDb(db) // no repair step: opens (and recovers the WAL) as is
    expect(store.pragma('integrity_check', { simple: true })).toBe('ok')
    const rows = store
      .prepare('SELECT count(*) FROM conv_series WHERE step_s = 10')
      .pluck()
      .get() as number
    const packets = store
      .prepare('SELECT sum(packets_a_to_b) FROM conv_series WHERE step_s = 10')
      .pluck()
      .get()
    expect(packets).toBe(rows)
    expect(rows).toBeGreaterThanOrEqual(last)
    if (mode === 'explicit') {
      expect(rows).toBeLessThanOrEqual(last + BATCH)
      expect(rows % BATCH).toBe(0) // whole batches only
    } else {
      expect(rows % 100).toBe(0) // whole ticks of 100 rows: nothing half-written
    }
    store.close()
    const ro = new Database(db, { readonly: true })
    expect(ro.pragma('quick_check', { simple: true })).toBe('ok')
    ro.close()
  })
})
