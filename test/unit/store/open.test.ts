import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { StoreError } from '../../../electron/shared/store/errors'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { APPLICATION_ID, SCHEMA_VERSION } from '../../../electron/shared/store/schema'
import { tempDir } from './helpers'

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function refused(path: string, code: string, readonly = false): StoreError {
  const before = sha(path)
  let caught: unknown
  try {
    openHistoryDb(path, { readonly })
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(StoreError)
  const err = caught as StoreError
  expect(err.code).toBe(code)
  expect(err.message).not.toContain('\n')
  expect(err.message).toContain(path)
  expect(sha(path), 'file bytes unchanged').toBe(before)
  return err
}

describe('opening the history database', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it('creates a new file (and its directory) with our application_id, WAL and the schema', () => {
    const path = `${tmp.dir}/new/sub/history.db`
    const db = openHistoryDb(path)
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    // Reopening migrates nothing and keeps working.
    const again = openHistoryDb(path)
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    again.close()
    const ro = openHistoryDb(path, { readonly: true })
    expect(ro.readonly).toBe(true)
    ro.close()
  })

  it('refuses a file that is not SQLite, leaving it unchanged', () => {
    const path = `${tmp.dir}/notes.txt`
    writeFileSync(path, 'hello, this is my important text file\n'.repeat(20))
    expect(refused(path, 'NOT_A_DATABASE').message).toMatch(/not an SQLite database/)
  })

  it('refuses a short or truncated file', () => {
    const path = `${tmp.dir}/short.db`
    writeFileSync(path, 'SQLite format 3\u0000')
    refused(path, 'NOT_A_DATABASE')
  })

  it('refuses an SQLite database of another application, leaving it unchanged', () => {
    const path = `${tmp.dir}/foreign.db`
    const other = new Database(path)
    other.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada')")
    other.close()
    expect(refused(path, 'FOREIGN').message).toMatch(/not a Flowscope history/)
    expect(refused(path, 'FOREIGN', true).message).toMatch(/not a Flowscope history/)
  })

  it('refuses a corrupt database with a valid header, leaving it unchanged', () => {
    const path = `${tmp.dir}/corrupt.db`
    const db = openHistoryDb(path)
    db.pragma('journal_mode = DELETE')
    db.close()
    const bytes = readFileSync(path)
    bytes.fill(0xa5, 100) // keep the 100-byte header, trash every page after it
    writeFileSync(path, bytes)
    const err = refused(path, 'CORRUPT')
    expect(err.message).toMatch(/corrupt|malformed/)
  })

  it('refuses a database from a newer Flowscope', () => {
    const path = `${tmp.dir}/newer.db`
    const db = openHistoryDb(path)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.pragma('journal_mode = DELETE')
    db.close()
    expect(refused(path, 'TOO_NEW').message).toMatch(/upgrade Flowscope/)
  })

  it('initialises an empty file, and says so clearly when a report finds no database', () => {
    const empty = `${tmp.dir}/empty.db`
    writeFileSync(empty, '')
    openHistoryDb(empty).close()
    expect(sha(empty)).not.toBe(sha(`${tmp.dir}/notes.txt`))
    const missing = `${tmp.dir}/missing.db`
    expect(() => openHistoryDb(missing, { readonly: true })).toThrow(/no history database at/)
    expect(existsSync(missing)).toBe(false)
  })
})
