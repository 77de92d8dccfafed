/**
 * `flowscope report --kind alerts`: every alert firing and clearing recorded in the range, oldest
 * first, as CSV, JSON or a table (columns time, rule, severity, message, value).
 */
import type { HistoryRow } from '../../../common/history'
import { queryAlerts, writeCsv, writeJson, type Db } from '../../shared/store'
import { renderTable } from '../table'

export const ALERT_COLUMNS = ['time', 'rule', 'severity', 'message', 'value'] as const

/** Most alert events one report lists (the store's query limit). */
const LIMIT = 100_000

export async function writeAlerts(
  db: Db,
  from_ms: number,
  to_ms: number,
  format: string,
  out: NodeJS.WritableStream,
): Promise<void> {
  const rows = queryAlerts(db, {
    from_s: Math.floor(from_ms / 1000),
    to_s: Math.ceil(to_ms / 1000),
    limit: LIMIT,
  })
  if (format === 'json') return writeJson(rows as unknown as HistoryRow[], out, ALERT_COLUMNS)
  if (format === 'csv') return writeCsv(rows as unknown as HistoryRow[], ALERT_COLUMNS, out)
  out.write(
    renderTable(
      ALERT_COLUMNS.map((c) => c.toUpperCase()),
      rows.map((r) => [
        r.time,
        r.rule,
        r.severity,
        r.message,
        r.value === null ? '-' : String(r.value),
      ]),
    ),
  )
}
