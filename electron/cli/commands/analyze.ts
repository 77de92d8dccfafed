import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { annotateSettled, Attribution, resolverOptions } from '../../shared/attribution'
import { CaptureError } from '../../shared/capture/errors'
import { openFile, waitForStdin } from '../../shared/capture/libpcap-source'
import {
  aggregate,
  allConversations,
  drain,
  FILE_IDLE_TIMEOUT_S,
} from '../../shared/capture/pipeline'
import type { CaptureSource } from '../../shared/capture/source'
import {
  asnRows,
  conversationRows,
  countryRows,
  hostRows,
  processRows,
  protocolRows,
  REPORT_BY,
  serviceRows,
  type ReportBy,
} from '../../shared/report/rows'
import {
  REPORT_FORMATS,
  writeReport,
  type Report,
  type ReportFormat,
} from '../../shared/report/writers'
import { parseCommandArgs } from '../args'
import { writeOutput } from '../output'
import {
  exportFlags,
  exportOptionsFrom,
  exportUsage,
  finishExport,
  startExport,
} from '../export-options'
import { CliError, UsageError, type CliIo, type Command } from '../io'

const usage = `Usage: flowscope analyze FILE [--filter BPF]
                         [--by conversation|host|protocol|service|country|asn] [--resolve]
                         [--format table|csv|json] [--out PATH] [--export URL ...]

Reads a pcap or pcapng file ('-' for standard input) and reports its traffic:
  --by conversation  one row per conversation (protocol + both endpoints; A sent the first packet):
                     protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,
                     packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms,
                     process,pid,service,name_a,name_b,country_a,country_b,asn_a,asn_b
                     (process and pid: live captures only; names: with --resolve; country: ISO
                     code, or the special range: private, loopback, link-local, cgnat, ...)
  --by host          one row per address: address,packets_sent,bytes_sent,packets_received,
                     bytes_received,conversations,first_seen,last_seen
  --by protocol      one row per protocol: protocol,packets,bytes,conversations
  --by service       one row per IANA service: service,protocol,port,packets,bytes,conversations,...
  --by country|asn   like host, per country (DB-IP) or per network (asn,as_org)
Bytes are frame lengths on the wire (as tshark counts); times are ISO 8601 UTC with microseconds.
  --filter BPF       only packets matching a libpcap filter expression (e.g. 'tcp port 443')
  --resolve          reverse DNS names of the addresses (off by default, like tshark -N);
                     servers from FLOWSCOPE_DNS_SERVERS (comma-separated), else the system's
  --format           table (default, human units), csv (RFC 4180) or json (array of objects)
  --out PATH         write the report to PATH instead of standard output
Flows are exported timed from the packets, every flow flushed at the end (as softflowd -r):
${exportUsage}
Country data: DB-IP (db-ip.com), CC BY 4.0. AS data: RouteViews, NRO and DB-IP, CC BY 4.0.`

/** Options shared by analyze and capture. */
export const reportOptions = {
  filter: { type: 'string' },
  by: { type: 'string', default: 'conversation' },
  format: { type: 'string', default: 'table' },
  out: { type: 'string' },
  resolve: { type: 'boolean' },
} as const

/** How long a report waits for outstanding reverse DNS answers at the end of a run. */
export const RESOLVE_WAIT_MS = 10_000

export function checkReportOptions(
  command: string,
  values: { by?: string; format?: string },
  by_choices: readonly ReportBy[] = REPORT_BY,
): { by: ReportBy; format: ReportFormat } {
  const by = values.by as ReportBy
  const format = values.format as ReportFormat
  if (!by_choices.includes(by))
    throw new UsageError(
      `${command}: --by must be ${by_choices.slice(0, -1).join(', ')} or ${by_choices.at(-1)}, got '${values.by}'`,
    )
  if (!REPORT_FORMATS.includes(format))
    throw new UsageError(`${command}: --format must be table, csv or json, got '${values.format}'`)
  return { by, format }
}

/** Runs engine work, turning capture failures into one-line CLI errors (exit 2). */
export async function cliCapture<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof CaptureError) throw new CliError(err.message)
    throw err
  }
}

export function buildReport(
  by: ReportBy,
  snapshot: CaptureSnapshot,
  records: ConversationRecord[],
): Report {
  if (by === 'host') return { by, rows: hostRows(records) }
  if (by === 'protocol') return { by, rows: protocolRows(snapshot, records) }
  if (by === 'process') return { by, rows: processRows(records) }
  if (by === 'service') return { by, rows: serviceRows(records) }
  if (by === 'country') return { by, rows: countryRows(records) }
  if (by === 'asn') return { by, rows: asnRows(records) }
  return { by, rows: conversationRows(records) }
}

/** Writes the report to --out (created only when complete, after the capture was readable) or stdout. */
export function emitReport(
  command: string,
  io: CliIo,
  outPath: string | undefined,
  format: ReportFormat,
  report: Report,
): Promise<void> {
  return writeOutput(command, outPath, io.stdout, (out) => writeReport(out, format, report))
}

/** A throttled "\r..." status line for a terminal; a no-op elsewhere so pipes and logs stay clean. */
export function statusLine(io: CliIo): { show(text: string): void; clear(): void } {
  if (!io.stderr.isTTY) return { show() {}, clear() {} }
  let last = 0
  let shown = false
  return {
    show(text) {
      const now = Date.now()
      if (now - last < 200) return
      last = now
      shown = true
      io.stderr.write(`\r\x1b[2K${text}`)
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[2K')
    },
  }
}

export const analyzeCommand: Command = {
  usage,
  run(args, io) {
    return cliCapture(() => analyze(args, io))
  },
}

async function analyze(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'analyze',
    args,
    { ...reportOptions, ...exportFlags },
    true,
  )
  if (positionals.length !== 1)
    throw new UsageError(
      `analyze: expected one FILE, got ${positionals.length} (see flowscope analyze --help)`,
    )
  const file = positionals[0]!
  // A file has no processes: --by process is for live captures.
  const { by, format } = checkReportOptions(
    'analyze',
    values,
    REPORT_BY.filter((b) => b !== 'process'),
  )
  const exportOpts = exportOptionsFrom('analyze', values)
  // A pipe may stay silent: wait for it on the event loop, where Ctrl-C is heard.
  if (file === '-' && !(await waitForStdin(io.signal)))
    throw new CliError('analyze: interrupted', 130)
  const source: CaptureSource = openFile(
    file,
    values.filter === undefined ? {} : { filter: values.filter },
  )
  try {
    const agg = aggregate(source, { idleTimeoutS: FILE_IDLE_TIMEOUT_S })
    const exporter = startExport(exportOpts, agg.aggregator)
    const status = statusLine(io)
    const result = await drain(source, agg.aggregator, {
      signal: io.signal,
      onProgress: (fraction, packets) =>
        status.show(
          `analysing ${file}: ${fraction === null ? '' : `${(fraction * 100).toFixed(0)} %, `}${packets.toLocaleString('en-US')} packets`,
        ),
    })
    status.clear()
    if (result.aborted) throw new CliError('analyze: interrupted', 130)
    if (result.warning) io.stderr.write(`flowscope: warning: ${file}: ${result.warning}\n`)
    await finishExport(exporter, agg.aggregator, io)
    const snapshot = agg.aggregator.snapshot(0)
    const attribution = new Attribution({
      resolve: values.resolve ? resolverOptions(io.env) : false,
    })
    try {
      const records = await annotateSettled(attribution, allConversations(agg), RESOLVE_WAIT_MS)
      await emitReport('analyze', io, values.out, format, buildReport(by, snapshot, records))
    } finally {
      attribution.close()
    }
    return 0
  } finally {
    source.close()
  }
}
