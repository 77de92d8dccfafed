import { closeSync, createWriteStream, openSync } from 'node:fs'
import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
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
  conversationRows,
  hostRows,
  protocolRows,
  REPORT_BY,
  type ReportBy,
} from '../../shared/report/rows'
import {
  REPORT_FORMATS,
  writeReport,
  type Report,
  type ReportFormat,
} from '../../shared/report/writers'
import { parseCommandArgs } from '../args'
import { CliError, UsageError, type CliIo, type Command } from '../io'

const usage = `Usage: flowscope analyze FILE [--filter BPF] [--by conversation|host|protocol]
                         [--format table|csv|json] [--out PATH]

Reads a pcap or pcapng file ('-' for standard input) and reports its traffic:
  --by conversation  one row per conversation (protocol + both endpoints; A sent the first packet):
                     protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,
                     packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms
  --by host          one row per address: address,packets_sent,bytes_sent,packets_received,
                     bytes_received,conversations,first_seen,last_seen
  --by protocol      one row per protocol: protocol,packets,bytes,conversations
Bytes are frame lengths on the wire (as tshark counts); times are ISO 8601 UTC with microseconds.
  --filter BPF       only packets matching a libpcap filter expression (e.g. 'tcp port 443')
  --format           table (default, human units), csv (RFC 4180) or json (array of objects)
  --out PATH         write the report to PATH instead of standard output`

/** Options shared by analyze and capture. */
export const reportOptions = {
  filter: { type: 'string' },
  by: { type: 'string', default: 'conversation' },
  format: { type: 'string', default: 'table' },
  out: { type: 'string' },
} as const

export function checkReportOptions(
  command: string,
  values: { by?: string; format?: string },
): { by: ReportBy; format: ReportFormat } {
  const by = values.by as ReportBy
  const format = values.format as ReportFormat
  if (!REPORT_BY.includes(by))
    throw new UsageError(
      `${command}: --by must be conversation, host or protocol, got '${values.by}'`,
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
  return { by, rows: conversationRows(records) }
}

/** Writes the report to --out (created only now, after the capture was readable) or stdout. */
export async function emitReport(
  io: CliIo,
  outPath: string | undefined,
  format: ReportFormat,
  report: Report,
): Promise<void> {
  if (outPath === undefined) return writeReport(io.stdout, format, report)
  let fd: number
  try {
    fd = openSync(outPath, 'w')
  } catch (err) {
    throw new CliError(
      `cannot write ${outPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    )
  }
  const out = createWriteStream('', { fd, autoClose: false })
  try {
    await writeReport(out, format, report)
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    )
  } catch (err) {
    throw new CliError(
      `cannot write ${outPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    )
  } finally {
    closeSync(fd)
  }
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
  const { values, positionals } = parseCommandArgs('analyze', args, reportOptions, true)
  if (positionals.length !== 1)
    throw new UsageError(
      `analyze: expected one FILE, got ${positionals.length} (see flowscope analyze --help)`,
    )
  const file = positionals[0]!
  const { by, format } = checkReportOptions('analyze', values)
  // A pipe may stay silent: wait for it on the event loop, where Ctrl-C is heard.
  if (file === '-' && !(await waitForStdin(io.signal)))
    throw new CliError('analyze: interrupted', 130)
  const source: CaptureSource = openFile(
    file,
    values.filter === undefined ? {} : { filter: values.filter },
  )
  try {
    const agg = aggregate(source, { idleTimeoutS: FILE_IDLE_TIMEOUT_S })
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
    const snapshot = agg.aggregator.snapshot(0)
    await emitReport(io, values.out, format, buildReport(by, snapshot, allConversations(agg)))
    return 0
  } finally {
    source.close()
  }
}
