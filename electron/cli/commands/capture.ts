import { intOption, parseCommandArgs } from '../args'
import { openLive, DEFAULT_SNAPLEN } from '../../shared/capture/libpcap-source'
import { aggregate, allConversations, FlowChanges, runLive } from '../../shared/capture/pipeline'
import { openRecorder, type Recorder } from '../../shared/store'
import type { CaptureStats } from '../../shared/capture/source'
import { formatAmount } from '../../../common/units'
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
  statusLine,
} from './analyze'

const usage = `Usage: flowscope capture -i IFACE [--duration SECONDS] [--filter BPF] [--snaplen N]
                         [--by conversation|host|protocol] [--format table|csv|json] [--out PATH]
                         [--db PATH | --no-store] [--export URL ...]

Captures live on an interface until Ctrl-C or --duration, then prints the same report as
\`flowscope analyze\` for what it saw (including conversations that ended or expired meanwhile).
Kernel and interface drop counts go to standard error. Needs CAP_NET_RAW (or root).
  -i, --interface IFACE  interface to capture on ('any' for all)
  --duration SECONDS     stop after this many seconds (decimals allowed)
  --snaplen N            bytes kept per packet (default ${DEFAULT_SNAPLEN}: headers only)
  --db PATH              also record the conversations into this history database while capturing
  --no-store             record nothing (overrides --db)
  --filter, --by, --format, --out: as for flowscope analyze
${exportUsage}`

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
  try {
    const agg = aggregate(source)
    const exporter = startExport(exportOpts, agg.aggregator)
    if (values.db !== undefined && !values['no-store']) recorder = startRecording(values.db, io)
    const changes = new FlowChanges(agg, false)
    const record = () => {
      if (!recorder) return
      const { active, ended } = changes.take()
      recorder.flowTick(active, ended)
    }
    const status = statusLine(io)
    const result = await runLive(source, agg.aggregator, {
      signal: io.signal,
      ...(durationMs !== undefined && { durationMs }),
      top: 0,
      onTick: (snap, stats) => {
        record()
        status.show(
          `capturing on ${iface}: ${snap.packets.toLocaleString('en-US')} packets, ${formatAmount(snap.bytes, 'bytes')}, ${snap.flows_active} flows, ${stats?.dropped_kernel ?? 0} dropped`,
        )
      },
    })
    record()
    recorder?.writer.close()
    status.clear()
    await finishExport(exporter, agg.aggregator, io)
    if (result.warning) io.stderr.write(`flowscope: warning: ${result.warning}\n`)
    io.stderr.write(`capture: ${describeStats(result.stats)}\n`)
    const snapshot = agg.aggregator.snapshot(0)
    await emitReport(io, values.out, format, buildReport(by, snapshot, allConversations(agg)))
    return 0
  } finally {
    recorder?.writer.close()
    source.close()
  }
}

/** Opens the history store; one that can't be used is a warning, and the capture goes on. */
function startRecording(db: string, io: CliIo): Recorder | null {
  const opened = openRecorder(db, io.env)
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
