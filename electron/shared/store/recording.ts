/**
 * Starting a recording from a command or the engine: resolves the path, opens the store and
 * wraps it in a Recorder. A database that cannot be used is returned as a failure (data), so
 * the caller can print it and go on without history.
 */
import type { StoreFailure } from '../../../common/history'
import { StoreError } from './errors'
import { openHistoryDb } from './open'
import { resolveDbPath } from './paths'
import { Recorder } from './recorder'
import { HistoryWriter, type WriterOptions } from './writer'

export type OpenRecorderResult =
  | { ok: true; path: string; recorder: Recorder }
  | { ok: false; path: string; failure: StoreFailure }

/** `dbOption`: the --db value (undefined: $FLOWSCOPE_DB, else the user's data directory). */
export function openRecorder(
  dbOption: string | undefined,
  env: NodeJS.ProcessEnv,
  opts: WriterOptions = {},
): OpenRecorderResult {
  const path = resolveDbPath(dbOption, { env })
  try {
    const writer = new HistoryWriter(openHistoryDb(path), path, opts)
    return { ok: true, path, recorder: new Recorder(writer) }
  } catch (err) {
    if (!(err instanceof StoreError)) throw err
    const code =
      err.code === 'NOT_A_DATABASE' ||
      err.code === 'FOREIGN' ||
      err.code === 'TOO_NEW' ||
      err.code === 'NOT_FOUND'
        ? 'CORRUPT'
        : err.code
    return { ok: false, path, failure: { code, message: err.message, dropped_rows: 0 } }
  }
}
