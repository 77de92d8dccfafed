/** SQLite and file-system errors turned into data a user can act on. */
import type { StoreFailureCode } from '../../../common/history'

/** A database that cannot be opened or used; `message` is one line naming the file. */
export class StoreError extends Error {
  override name = 'StoreError'
  constructor(
    readonly code: StoreFailureCode | 'NOT_A_DATABASE' | 'FOREIGN' | 'TOO_NEW' | 'NOT_FOUND',
    message: string,
  ) {
    super(message)
  }
}

export function failureCode(err: unknown): StoreFailureCode {
  const code = String((err as { code?: unknown })?.code ?? '')
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'DISK_FULL'
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  )
    return 'READ_ONLY'
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'CORRUPT'
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'BUSY'
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'EIO')
    return 'IO_ERROR'
  return 'INTERNAL'
}

const ADVICE: Record<StoreFailureCode, string> = {
  DISK_FULL: 'the disk is full: free space or point --db elsewhere',
  READ_ONLY: 'the database is read-only: check the file and directory permissions or the mount',
  IO_ERROR: 'an I/O error occurred on the database file',
  CORRUPT: 'the database file is corrupt',
  BUSY: 'the database is locked by another process',
  INTERNAL: 'the database failed',
}

/** One line: what happened to which file, what to do, and SQLite's own words. */
export function describeFailure(
  err: unknown,
  path: string,
): { code: StoreFailureCode; message: string } {
  const code = failureCode(err)
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err)
  return { code, message: `history database ${path}: ${ADVICE[code]} (${detail})` }
}
