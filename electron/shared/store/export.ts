/**
 * Streaming exports of history rows: CSV (RFC 4180, csv-stringify) and JSON. Rows are pulled
 * from the SQLite statement one at a time and written with backpressure, so an export of any
 * size runs in constant memory.
 *
 * Same dialect as the capture report (electron/shared/report/writers.ts): csv-stringify's
 * defaults (comma, double quotes, LF records), header row, formula-looking text neutralised by
 * the same function. The capture writers take finished arrays; these take iterators.
 */
import { stringify } from 'csv-stringify'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { HistoryQuery, HistoryQueryMeta, HistoryRow } from '../../../common/history'
import type { Db } from './open'
import { iterateHistory, planQuery } from './queries'
import { neutraliseFormula } from '../report/writers'

/** ' before text cells a spreadsheet would run as formulas (= + - @ TAB CR); numbers stay raw. */
export const neutraliseCell = neutraliseFormula

/** Final pipeline stage: writes into `out` with backpressure, without ending it. */
function into(out: NodeJS.WritableStream) {
  return async function (chunks: AsyncIterable<string | Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      if (!out.write(chunk)) await once(out, 'drain')
    }
  }
}

/** Writes rows as CSV with a header row; `out` is not ended. */
export async function writeCsv(
  rows: Iterable<HistoryRow>,
  columns: readonly string[],
  out: NodeJS.WritableStream,
): Promise<void> {
  const stringifier = stringify({
    header: true,
    columns: columns.map((key) => ({ key })),
    cast: { string: neutraliseCell },
  })
  // pipeline() carries an error from any stage (e.g. SQLite reading) to the caller.
  await pipeline(Readable.from(rows), stringifier, into(out))
}

/**
 * Writes rows as one JSON array, one row per line; `out` is not ended. With `columns`, each
 * object has exactly those keys in that order (JSON keys = CSV header, as in the capture report).
 */
export async function writeJson(
  rows: Iterable<HistoryRow>,
  out: NodeJS.WritableStream,
  columns?: readonly string[],
): Promise<void> {
  const project = (row: HistoryRow): object =>
    columns
      ? Object.fromEntries(columns.map((c) => [c, (row as Record<string, unknown>)[c] ?? null]))
      : row
  function* lines(): Generator<string> {
    let first = true
    for (const row of rows) {
      yield `${first ? '[\n' : ',\n'}  ${JSON.stringify(project(row))}`
      first = false
    }
    yield first ? '[]\n' : '\n]\n'
  }
  await pipeline(Readable.from(lines()), into(out))
}

export type ExportFormat = 'csv' | 'json'

/**
 * The whole export in one call, for the UI's "export" (an Electron save dialog's file stream,
 * or a serve-mode HTTP response): plans the query, streams its rows in `format` into `out`
 * (not ended), and returns what was read.
 */
export async function exportHistory(
  db: Db,
  q: HistoryQuery,
  format: ExportFormat,
  out: NodeJS.WritableStream,
): Promise<HistoryQueryMeta> {
  const plan = planQuery(db, q)
  const rows = iterateHistory(db, plan)
  if (format === 'json') await writeJson(rows, out, plan.columns)
  else await writeCsv(rows, plan.columns, out)
  return plan.meta
}
