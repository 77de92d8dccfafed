/**
 * Opening the history database again in a process that already has it open (the writer, then
 * the settings rows) must keep SQLite's locks: if an open closed a descriptor of the file behind
 * SQLite's back, the process's POSIX locks would be gone, and another program closing the
 * database (the sqlite3 CLI here, or `flowscope report`) would think it was the last connection
 * and checkpoint and delete the WAL under our writer.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { tempDir } from '../../unit/store/helpers'

const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0
if (!hasSqlite3) console.warn('store/locks.test.ts skipped: the sqlite3 CLI is not installed')

describe.skipIf(!hasSqlite3)('a second open in the same process', () => {
  const tmp = tempDir('fss-locks-')
  afterAll(tmp.cleanup)

  it('keeps the WAL when another program opens and closes the database', () => {
    const db = join(tmp.dir, 'history.db')
    const writer = openHistoryDb(db)
    writer.pragma('wal_autocheckpoint = 0')
    writer.prepare("INSERT INTO meta (key, value) VALUES ('a', 'one')").run()
    const second = openHistoryDb(db)
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0)
    const cli = spawnSync('sqlite3', [db, "SELECT value FROM meta WHERE key = 'a'"], {
      encoding: 'utf8',
    })
    expect(cli.stdout.trim()).toBe('one')
    // Our connections are open: the WAL must still be there, and what it holds still readable.
    expect(existsSync(`${db}-wal`)).toBe(true)
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0)
    writer.prepare("INSERT INTO meta (key, value) VALUES ('b', 'two')").run()
    expect(
      second.prepare('SELECT count(*) FROM meta WHERE key IN (?, ?)').pluck().get('a', 'b'),
    ).toBe(2)
    second.close()
    writer.close()
  })
})
