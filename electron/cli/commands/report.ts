import { HistoryGroupBy, HistoryStep, type HistoryRow } from '../../../common/history'
import {
  describeFailure,
  iterateHistory,
  openHistoryDb,
  parseTime,
  planQuery,
  resolveDbPath,
  StoreError,
  TimeParseError,
  writeCsv,
  writeJson,
} from '../../shared/store'
import { writeTable } from '../../shared/report/writers'
import { intOption, parseCommandArgs } from '../args'
import { writeOutput } from '../output'
import { CliError, UsageError, type Command } from '../io'
import { renderTable } from '../table'
import { writeAlerts } from './report-alerts'

const usage = `Usage: flowscope report [--db PATH] [--from TIME] [--to TIME]
                       [--by interface|conversation|host|protocol|process|service|country|asn]
                       [--bucket 10s|1m|1h|1d]
                       [--top N] [--format csv|json|table] [--out PATH] [--kind traffic|alerts]

Reports recorded history. TIME is ISO 8601 (2026-11-26, 2026-11-26T07:00Z; no zone = UTC) or
relative to now: -30m, -1h, -7d, -2w, now. Defaults: --from the start of history, --to now,
--by conversation, --format table on a terminal and csv otherwise.

The range is read at the finest resolution still kept for it (10 s for the last day, 1 min for
the last week, 1 h for 180 days, 1 day forever, by default); --bucket splits it into buckets of
that step (coarsened when the range is only kept at a coarser one). --top keeps the N groups
with the most bytes. --by process|service|country|asn group by who was talking, with the
columns of \`flowscope capture --by\` (process: live captures only, "unknown" where no program
was found; country and asn: per endpoint, special ranges by their label). --kind alerts lists
every alert firing and clearing in the range instead (time, rule, severity, message, value).
CSV is RFC 4180 with a header row, ISO 8601 UTC times, raw numbers.

Database: --db PATH, else $FLOWSCOPE_DB, else the user's data directory
(~/.local/share/flowscope/history.db on Linux).`

const FORMATS = ['csv', 'json', 'table'] as const

export const reportCommand: Command = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs('report', attachTimeValues(args), {
      db: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      by: { type: 'string', default: 'conversation' },
      bucket: { type: 'string' },
      top: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      kind: { type: 'string', default: 'traffic' },
    })
    if (values.kind !== 'traffic' && values.kind !== 'alerts')
      throw new UsageError(`report: --kind must be traffic or alerts, got '${values.kind}'`)
    const by = HistoryGroupBy.safeParse(values.by)
    if (!by.success) {
      throw new UsageError(
        `report: --by must be interface, conversation, host, protocol, process, service, country or asn, got '${values.by}'`,
      )
    }
    const bucket = values.bucket === undefined ? null : HistoryStep.safeParse(values.bucket)
    if (bucket && !bucket.success) {
      throw new UsageError(`report: --bucket must be 10s, 1m, 1h or 1d, got '${values.bucket}'`)
    }
    const top = values.top === undefined ? null : intOption('top', values.top, 0, 1, 1_000_000_000)
    const format = values.format ?? (io.stdout.isTTY && !values.out ? 'table' : 'csv')
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`report: --format must be csv, json or table, got '${format}'`)
    }
    const now_ms = Date.now()
    // History starts at the epoch: an earlier --from means "from the start".
    const from_ms = values.from === undefined ? 0 : Math.max(0, time('from', values.from, now_ms))
    const to_ms = values.to === undefined ? now_ms : time('to', values.to, now_ms)
    if (from_ms >= to_ms) {
      throw new CliError(
        `report: --from ${new Date(from_ms).toISOString()} is not before --to ${new Date(to_ms).toISOString()}`,
      )
    }

    const path = resolveDbPath(values.db, { env: io.env })
    let db
    try {
      db = openHistoryDb(path, { readonly: true })
    } catch (err) {
      if (err instanceof StoreError) throw new CliError(`report: ${err.message}`)
      throw err
    }
    try {
      if (values.kind === 'alerts') {
        const alertsDb = db
        await writeOutput('report', values.out, io.stdout, (out) =>
          writeAlerts(alertsDb, from_ms, to_ms, format, out),
        )
        return 0
      }
      const plan = planQuery(db, {
        from_s: Math.floor(from_ms / 1000),
        to_s: Math.ceil(to_ms / 1000),
        by: by.data,
        bucket: bucket ? bucket.data! : null,
        top,
      })
      if (bucket?.data && plan.meta.step !== bucket.data) {
        io.stderr.write(
          `report: history for this range is kept at ${plan.meta.tier}; buckets are ${plan.meta.step}\n`,
        )
      }
      const rows = iterateHistory(db, plan)
      if (format === 'table' && plan.meta.step === null && by.data !== 'interface') {
        // The capture report's table (human units); a table needs every row for its widths.
        const reportBy = by.data
        await writeOutput('report', values.out, io.stdout, (out) =>
          writeTable(out, reportBy, [...rows]),
        )
      } else if (format === 'table') {
        await writeOutput('report', values.out, io.stdout, async (out) => {
          out.write(tableOf(plan.columns, rows))
        })
      } else if (format === 'json') {
        await writeOutput('report', values.out, io.stdout, (out) =>
          writeJson(rows, out, plan.columns),
        )
      } else {
        await writeOutput('report', values.out, io.stdout, (out) =>
          writeCsv(rows, plan.columns, out),
        )
      }
      return 0
    } catch (err) {
      // A database damaged past its first pages fails while reading: one clear line.
      if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_')) {
        throw new CliError(`report: ${describeFailure(err, path).message}`)
      }
      throw err
    } finally {
      db.close()
    }
  },
}

/**
 * `--from -1h` would read as an option to parseArgs; a TIME that starts with '-' is attached
 * (`--from=-1h`) so the relative forms work with or without '='.
 */
function attachTimeValues(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    const next = args[i + 1]
    if ((a === '--from' || a === '--to') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`)
      i++
    } else out.push(a)
  }
  return out
}

function time(name: string, text: string, now_ms: number): number {
  try {
    return parseTime(text, now_ms)
  } catch (err) {
    if (err instanceof TimeParseError) throw new UsageError(`report: --${name}: ${err.message}`)
    throw err
  }
}

function tableOf(columns: string[], rows: Iterable<HistoryRow>): string {
  const cells: string[][] = []
  for (const row of rows) {
    const r = row as Record<string, unknown>
    cells.push(columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))))
  }
  return renderTable(
    columns.map((c) => c.toUpperCase()),
    cells,
  )
}
