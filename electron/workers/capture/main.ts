/**
 * Capture worker process: opens one source (live interface or file), aggregates every packet in
 * this process and sends the host one snapshot per tick, plus (with `record`) each changed
 * conversation's delta for history. Started by the engine's WorkerHost through
 * child_process.fork (plain Node) or Electron's utilityProcess; connectToHost() hides which.
 */
import type { ConnectionsView, ConversationRecord, ViewResult } from '../../../common/capture'
import { Attribution } from '../../shared/attribution'
import { CaptureError, toFailure } from '../../shared/capture/errors'
import { openFile, openLive } from '../../shared/capture/libpcap-source'
import {
  aggregate,
  allConversations,
  FILE_IDLE_TIMEOUT_S,
  FlowDeltas,
  runLive,
} from '../../shared/capture/pipeline'
import type { CaptureSource, CaptureStats } from '../../shared/capture/source'
import type { CaptureSnapshot } from '../../../common/capture'
import { FromWorker, ToWorker, type StartMessage } from '../../shared/protocol/capture'
import { connectToHost, type HostPort } from '../../shared/protocol/connect'
import { TickGate } from '../../shared/protocol/worker'
import type { Aggregator } from '../../shared/flows/aggregator'
import { FlowView } from '../../shared/flows/view'

function open(start: StartMessage): CaptureSource {
  const s = start.source
  const filter = s.filter === undefined ? {} : { filter: s.filter }
  if (s.kind === 'file') return openFile(s.path, filter)
  return openLive(s.iface, {
    ...filter,
    ...(s.snaplen !== undefined && { snaplen: s.snaplen }),
    ...(s.bufferBytes !== undefined && { bufferBytes: s.bufferBytes }),
  })
}

/** The Connections view of a running capture: what the message handler can change. */
interface Viewing {
  view: ConnectionsView | null
  /** Sends a tick now (a new view answered without waiting for the next period). */
  sendNow: (() => void) | null
}

/** Wait between ticks of a file held open after its end. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The view's rows over the whole table, computed for the tick being sent. */
function viewOf(
  fv: FlowView,
  agg: Aggregator,
  time_us: number,
  start_us: number | null,
  v: ConnectionsView,
): ViewResult {
  const nowSec = Math.floor(time_us / 1e6)
  const startSec = start_us === null ? nowSec : Math.floor(start_us / 1e6)
  return fv.apply(agg.recent(), { nowSec, startSec }, v)
}

async function run(
  port: HostPort,
  start: StartMessage,
  stop: AbortController,
  gate: TickGate,
  viewing: Viewing,
): Promise<FromWorker> {
  const source = open(start)
  // Who is talking, for the view's process/service/country columns (names: see attribution).
  const who = start.view
    ? new Attribution({ processes: source.kind === 'live' ? {} : false })
    : null
  if (source.kind === 'live') who?.processes?.watch()
  // annotate() reads only the 5-tuple of what it is given (the attribution branch widens its type).
  const fv = new FlowView(
    who ? (items) => who.annotate(items as unknown as ConversationRecord[]) : null,
  )
  viewing.view = start.view ?? null
  try {
    const idle = start.idleTimeoutS ?? (source.kind === 'file' ? FILE_IDLE_TIMEOUT_S : undefined)
    // With history off nothing per conversation is collected or sent.
    const deltas = start.record ? new FlowDeltas() : null
    const agg = aggregate(source, {
      keepEnded: start.finalConversations === true,
      ...(deltas && { deltas }),
      ...(start.maxFlows !== undefined && { maxFlows: start.maxFlows }),
      ...(idle !== undefined && { idleTimeoutS: idle }),
    })
    port.send({
      type: 'started',
      kind: source.kind === 'live' ? 'live' : 'file',
      link_type: source.linkType,
      link_type_name: source.linkTypeName,
    } satisfies FromWorker)
    const top = start.top ?? 20
    let eof = false
    const tick = (snapshot: CaptureSnapshot, stats: CaptureStats | null) => {
      // A tick the host has no room for is skipped: the deltas stay with the flows and the
      // next tick that goes out carries them.
      gate.offer((seq, skipped) => {
        who?.tick()
        const v = viewing.view
        port.send({
          type: 'tick',
          seq,
          skipped,
          snapshot,
          stats,
          deltas: deltas?.take(agg.aggregator) ?? null,
          deltas_dropped: deltas?.dropped ?? 0,
          ...(v && {
            view: viewOf(fv, agg.aggregator, snapshot.time_us, snapshot.start_us, v),
          }),
          ...(eof && { eof }),
        } satisfies FromWorker)
      })
    }
    viewing.sendNow = () => tick(agg.aggregator.snapshot(top), source.stats())
    const result = await runLive(source, agg.aggregator, {
      signal: stop.signal,
      tickMs: start.tickMs ?? 1000,
      top,
      onTick: tick,
    })
    // A file opened in the UI: its table stays browsable (sort, filter, group) until stopped.
    if (start.hold && result.reason === 'eof') {
      eof = true
      tick(agg.aggregator.snapshot(top), null)
      while (!stop.signal.aborted) {
        await sleep(start.tickMs ?? 1000)
        if (!stop.signal.aborted) tick(agg.aggregator.snapshot(top), null)
      }
    }
    return {
      type: 'ended',
      reason: result.reason,
      warning: result.warning,
      packets: result.packets,
      stats: result.stats,
      snapshot: agg.aggregator.snapshot(top),
      conversations: start.finalConversations ? allConversations(agg) : null,
      deltas: deltas?.endAll(agg.aggregator) ?? null,
      deltas_dropped: deltas?.dropped ?? 0,
    }
  } finally {
    viewing.sendNow = null
    who?.close()
    source.close()
  }
}

function main(): void {
  const port = connectToHost()
  if (!port) {
    process.stderr.write('capture worker: start me with child_process.fork or utilityProcess\n')
    process.exitCode = 2
    return
  }
  const stop = new AbortController()
  const gate = new TickGate()
  const viewing: Viewing = { view: null, sendNow: null }
  let viewTimer: NodeJS.Timeout | null = null
  let started = false
  let finishing = false
  const finish = (message: FromWorker) => {
    if (finishing) return
    finishing = true
    port.send(message, () => process.exit(0))
  }
  // Ctrl-C on a terminal signals the whole process group: the host decides when we stop.
  process.on('SIGINT', () => {})
  port.onClose(() => {
    stop.abort()
    if (!started) process.exit(0)
  })
  port.onMessage((raw) => {
    const parsed = ToWorker.safeParse(raw)
    if (!parsed.success) {
      finish({
        type: 'error',
        ok: false,
        code: 'CAPTURE_FAILED',
        message: `bad message to capture worker: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      })
      return
    }
    const m = parsed.data
    if (m.type === 'ack') gate.ack(m.seq)
    else if (m.type === 'view') {
      viewing.view = m.view
      // Scrolling sends many views: answer the latest one, at most every 50 ms.
      viewTimer ??= setTimeout(() => {
        viewTimer = null
        viewing.sendNow?.()
      }, 50)
    } else if (m.type === 'stop') {
      stop.abort()
      if (!started) process.exit(0)
    } else if (!started) {
      started = true
      run(port, m, stop, gate, viewing).then(finish, (err: unknown) => {
        if (!(err instanceof CaptureError))
          process.stderr.write(
            `capture worker: ${err instanceof Error ? err.stack : String(err)}\n`,
          )
        finish({ type: 'error', ...toFailure(err) })
      })
    }
  })
}

main()
