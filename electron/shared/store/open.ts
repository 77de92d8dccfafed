/**
 * Opening the history database safely. A file that exists is inspected first without writing
 * to it (header bytes, then a read-only SQLite connection): a file that is not SQLite, or an
 * SQLite database that is not ours, is refused with a clear error and left byte for byte as it
 * was. Only then is it opened for writing and migrated.
 */
import Database from 'better-sqlite3'
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  statSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { describeFailure, StoreError } from './errors'
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema'

export type Db = Database.Database

interface Inspection {
  exists: boolean
  /** Needs the schema created (new or empty file, or an SQLite file with nothing in it). */
  fresh: boolean
  version: number
}

/**
 * Reads what the file is without modifying it; throws StoreError for anything not ours. Only
 * SQLite reads the file: this process may already have the database open (the writer, the
 * settings rows, the reader threads), and closing any descriptor of the file that SQLite does
 * not know about drops every POSIX lock the process holds on it, so another process (a
 * `flowscope report`, the sqlite3 CLI) could think it is the last connection and delete the WAL
 * under our writer. SQLite answers SQLITE_NOTADB for a file that is not a database.
 */
export function inspectDb(path: string): Inspection {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile())
      throw new StoreError('NOT_A_DATABASE', `history database ${path}: not a regular file`)
    size = st.size
  } catch (err) {
    if (err instanceof StoreError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { exists: false, fresh: true, version: 0 }
    throw new StoreError('IO_ERROR', describeFailure(err, path).message)
  }
  if (size === 0) return { exists: true, fresh: true, version: 0 }
  const notSqlite = () =>
    new StoreError(
      'NOT_A_DATABASE',
      `${path} is not an SQLite database (wrong header); refusing to use it as the history database`,
    )
  let ro: Db | undefined
  try {
    ro = new Database(path, { readonly: true, fileMustExist: true })
    // The header on disk may be stale while changes sit in the WAL: ask SQLite.
    const appId = ro.pragma('application_id', { simple: true }) as number
    const version = ro.pragma('user_version', { simple: true }) as number
    const objects = (ro.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n
    if (appId === 0 && version === 0 && objects === 0)
      return { exists: true, fresh: true, version: 0 }
    if (appId !== APPLICATION_ID) {
      throw new StoreError(
        'FOREIGN',
        `${path} is an SQLite database but not a Flowscope history (application_id ${appId}); refusing to modify it`,
      )
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'TOO_NEW',
        `history database ${path} has schema version ${version}, newer than this Flowscope (${SCHEMA_VERSION}): upgrade Flowscope`,
      )
    }
    return { exists: true, fresh: false, version }
  } catch (err) {
    if (err instanceof StoreError) throw err
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw notSqlite()
    const { code, message } = describeFailure(err, path)
    throw new StoreError(code === 'CORRUPT' ? 'CORRUPT' : code, message)
  } finally {
    ro?.close()
  }
}

function applyPragmas(db: Db): void {
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_mode = WAL')
  // In WAL mode NORMAL never corrupts and a process crash loses nothing committed;
  // only a power loss can drop the last commits.
  db.pragma('synchronous = NORMAL')
}

/** Runs the migrations the file has not seen yet, each in one transaction with its version. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue
    db.transaction(() => {
      if (m.version === 1) db.pragma(`application_id = ${APPLICATION_ID}`)
      db.exec(m.sql)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
  }
}

/** mkdir -p (owner-only), but names a read-only ancestor (recursive mkdir reports EROFS as ENOENT). */
function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    let up = dirname(dir)
    while (up !== dirname(up) && !existsSync(up)) up = dirname(up)
    accessSync(up, constants.W_OK)
    throw err
  }
}

export interface OpenOptions {
  /** Open for reading only (reports); the file must exist. */
  readonly?: boolean
}

/** Opens (creating if needed) the history database at `path`, or throws a StoreError. */
export function openHistoryDb(path: string, opts: OpenOptions = {}): Db {
  const found = inspectDb(path)
  if (opts.readonly) {
    if (!found.exists) throw new StoreError('NOT_FOUND', `no history database at ${path}`)
    if (found.fresh || found.version < SCHEMA_VERSION) {
      throw new StoreError(
        'NOT_FOUND',
        `history database ${path} is empty or from an older version: record into it first`,
      )
    }
  }
  let db: Db | undefined
  try {
    if (!found.exists) {
      ensureDir(dirname(path))
      // Created owner-only; SQLite gives the -wal and -shm files the database's mode.
      closeSync(openSync(path, 'wx', 0o600))
    }
    // A read-only file or mount: say so now rather than fail on the first write.
    if (!opts.readonly) accessSync(found.exists ? path : dirname(path), constants.W_OK)
    db = new Database(path, { readonly: opts.readonly === true })
    if (opts.readonly) db.pragma('busy_timeout = 5000')
    else {
      applyPragmas(db)
      migrate(db)
    }
    return db
  } catch (err) {
    db?.close()
    if (err instanceof StoreError) throw err
    const { code, message } = describeFailure(err, path)
    throw new StoreError(code, message)
  }
}
