/**
 * Streaming exports of history rows, written by the report writers (one CSV/JSON pair for
 * capture reports, history reports and exports: electron/shared/report/writers.ts). Rows are
 * pulled from the SQLite statement only as fast as the output drains.
 */
import type { HistoryQuery, HistoryQueryMeta } from '../../../common/history'
import type { Db } from './open'
import { iterateHistory, planQuery } from './queries'
import { neutraliseFormula, writeCsv, writeJson } from '../report/writers'

export { writeCsv, writeJson }

/** ' before text cells a spreadsheet would run as formulas (= + - @ TAB CR); numbers stay raw. */
export const neutraliseCell = neutraliseFormula

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
