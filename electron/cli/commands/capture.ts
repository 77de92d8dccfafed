import { intOption, parseCommandArgs } from '../args'
import { openLive, DEFAULT_SNAPLEN } from '../../shared/capture/libpcap-source'
import { aggregate, allConversations, FlowDeltas, runLive } from '../../shared/capture/pipeline'
import {
  openRecorder,
  RETENTION_FLAGS,
  RETENTION_USAGE,
  retentionFromFlags,
  type Recorder,
} from '../../shared/store'
import type { CaptureStats } from '../../shared/capture/source'
import { formatAmount } from '../../../common/units'
import { annotateSettled, Attribution, resolverOptions } from '../../shared/attribution'
import { UsageError, type CliIo, type Command } from '../io'
import {
  exportFlags,
  exportOptionsFrom,
  exportUsage,
  finishExport,
  interfaceIndex,
  startExport,
} from '../export-options'
import {
  buildReport,
  checkReportOptions,
  cliCapture,
  emitReport,
  reportOptions,
  RESOLVE_WAIT_MS,
  statusLine,
} from './analyze'

const usage = `Usage: flowscope capture -i IFACE [--duration SECONDS] [--filter BPF] [--snaplen N]
                         [--by conversation|host|protocol|process|service|country|asn]
                         [--resolve] [--format table|csv|json] [--out PATH] [--db PATH | --no-store]
                         [--export URL ...]

Captures live on an interface until Ctrl-C or --duration, then prints the same report as
\`flowscope analyze\` for what it saw (including conversations that ended or expired meanwhile).
Kernel and interface drop counts go to standard error. Needs CAP_NET_RAW (or root).
  -i, --interface IFACE  interface to capture on ('any' for all)
  --duration SECONDS     stop after this many seconds (decimals allowed)
  --snaplen N            bytes kept per packet (default ${DEFAULT_SNAPLEN}: headers only)
  --db PATH              also record the conversations into this history database while capturing
  --no-store             record nothing (overrides --db)
  --by process           one row per local program (nethogs' view): process,pid,packets_sent,
                         bytes_sent,packets_received,bytes_received,conversations,first_seen,
                         last_seen; "unknown" holds what no socket of this namespace matched
${RETENTION_USAGE}
  --filter, --by, --resolve, --format, --out: as for flowscope analyze
${exportUsage}
Processes come from /proc of the network namespace the capture runs in; without root, other
users' programs cannot be seen (a warning says how many) and their traffic shows as unknown.`

function describeStats(stats: CaptureStats | null): string {
  if (!stats) return 'capture statistics unavailable'
  return `${stats.received.toLocaleString('en-US')} packets received by filter, ${stats.dropped_kernel.toLocaleString('en-US')} dropped by kernel, ${stats.dropped_interface.toLocaleString('en-US')} dropped by interface`
}

async function capture(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('capture', args, {
    ...reportOptions,
    interface: { type: 'string', short: 'i' },
    duration: { type: 'string' },
    snaplen: { type: 'string' },
    db: { type: 'string' },
    'no-store': { type: 'boolean' },
    ...RETENTION_FLAGS,
    ...exportFlags,
  })
  const iface = values.interface
  if (!iface) throw new UsageError('capture: -i IFACE is required (see flowscope interfaces)')
  const { by, format } = checkReportOptions('capture', values)
  let durationMs: number | undefined
  if (values.duration !== undefined) {
    const s = Number(values.duration)
    if (!Number.isFinite(s) || s <= 0)
      throw new UsageError(
        `capture: --duration must be a positive number of seconds, got '${values.duration}'`,
      )
    durationMs = s * 1000
  }
  const snaplen = intOption('snaplen', values.snaplen, DEFAULT_SNAPLEN, 64, 262144)
  const exportOpts = exportOptionsFrom('capture', values, interfaceIndex(iface))
  const source = openLive(iface, {
    snaplen,
    ...(values.filter !== undefined && { filter: values.filter }),
  })
  let recorder: Recorder | null = null
  const attribution = new Attribution({
    processes: {},
    resolve: values.resolve ? resolverOptions(io.env) : false,
  })
  // Read the socket tables as new conversations appear, so programs that end between ticks are named.
  attribution.processes?.watch()
  try {
    if (values.db !== undefined && !values['no-store'])
      recorder = startRecording(values.db, io, captureRetention(values))
    // Deltas only while recording: without a store nothing per conversation is collected.
    const deltas = recorder ? new FlowDeltas() : null
    const agg = aggregate(source, deltas ? { deltas } : {})
    const exporter = startExport(exportOpts, agg.aggregator)
    const record = (end = false) => {
      if (!recorder || !deltas) return
      // History keeps who is talking too: each delta carries what is known at its tick.
      recorder.deltas(
        attribution.annotate(end ? deltas.endAll(agg.aggregator) : deltas.take(agg.aggregator)),
      )
    }
    const status = statusLine(io)
    const result = await runLive(source, agg.aggregator, {
      signal: io.signal,
      ...(durationMs !== undefined && { durationMs }),
      top: 0,
      onBatch: () => attribution.processes?.seen(agg.aggregator.flowsCreated),
      onTick: (snap, stats) => {
        attribution.tick()
        record()
        status.show(
          `capturing on ${iface}: ${snap.packets.toLocaleString('en-US')} packets, ${formatAmount(snap.bytes, 'bytes')}, ${snap.flows_active} flows, ${stats?.dropped_kernel ?? 0} dropped`,
        )
      },
    })
    record(true)
    recorder?.writer.close()
    status.clear()
    await finishExport(exporter, agg.aggregator, io)
    if (result.warning) io.stderr.write(`flowscope: warning: ${result.warning}\n`)
    io.stderr.write(`capture: ${describeStats(result.stats)}\n`)
    attribution.processes?.unwatch()
    attribution.tick()
    const records = await annotateSettled(attribution, allConversations(agg), RESOLVE_WAIT_MS)
    const hidden = attribution.visibilityWarning()
    if (hidden) io.stderr.write(`flowscope: warning: ${hidden}\n`)
    const snapshot = agg.aggregator.snapshot(0)
    await emitReport('capture', io, values.out, format, buildReport(by, snapshot, records))
    return 0
  } finally {
    attribution.close()
    recorder?.writer.close()
    source.close()
  }
}

function captureRetention(values: Record<string, unknown>) {
  try {
    return retentionFromFlags(values)
  } catch (err) {
    throw new UsageError(`capture: ${(err as Error).message}`)
  }
}

/** Opens the history store; one that can't be used is a warning, and the capture goes on. */
function startRecording(
  db: string,
  io: CliIo,
  retention: ReturnType<typeof retentionFromFlags>,
): Recorder | null {
  const opened = openRecorder(db, io.env, retention ? { retention } : {})
  if (!opened.ok) {
    io.stderr.write(`flowscope: warning: not recording: ${opened.failure.message}\n`)
    return null
  }
  opened.recorder.onFailure((f) =>
    io.stderr.write(`flowscope: warning: recording stopped: ${f.message}\n`),
  )
  return opened.recorder
}

export const captureCommand: Command = {
  usage,
  run(args, io) {
    return cliCapture(() => capture(args, io))
  },
}
