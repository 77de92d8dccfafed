/**
 * Capture worker process: opens one source (live interface or file), aggregates every packet in
 * this process and sends the host one snapshot per tick, plus (with `record`) each changed
 * conversation's delta for history. Started by the engine's WorkerHost through
 * child_process.fork (plain Node) or Electron's utilityProcess; connectToHost() hides which.
 */
import type { ConnectionsView, ViewResult } from '../../../common/capture'
import { Attribution, resolverOptions } from '../../shared/attribution'
import type { ReverseDnsOptions } from '../../shared/attribution/rdns'
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
import { LiveExport } from '../../shared/flowexport/live'
import { FromWorker, ToWorker, type StartMessage } from '../../shared/protocol/capture'
import type { HostPort } from '../../shared/protocol/connect'
import { runWorker } from '../../shared/protocol/run-worker'
import type { TickGate } from '../../shared/protocol/worker'
import type { Aggregator } from '../../shared/flows/aggregator'
import { FlowView } from '../../shared/flows/view'
import { ViewSet } from './views'

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

/** Reverse DNS servers: the start message's, else FLOWSCOPE_DNS_SERVERS, else the system's. */
function resolveOptions(start: StartMessage): ReverseDnsOptions {
  return start.dnsServers ? { servers: start.dnsServers } : resolverOptions(process.env)
}

/** What the message handler can change in a running capture. */
interface Running {
  who: Attribution | null
  /** Every client's Connections view (none: ticks carry no view rows). */
  views: ViewSet
  /** Answers the clients waiting for their new view's rows now, not at the next period. */
  answer: (() => void) | null
  /** Busiest hosts and conversations per tick (alert rules); 0: none computed. */
  busiest: number
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
  running: Running,
): Promise<FromWorker> {
  const source = open(start)
  // Who is talking: processes from this namespace's /proc for live captures; names only when
  // asked (lookups run in the background, a tick takes what is known by then). One instance
  // serves the ticks, the deltas and the Connections view (its caches are shared).
  const who = new Attribution({
    processes: source.kind === 'live' ? {} : false,
    resolve: start.resolve ? resolveOptions(start) : false,
  })
  running.who = who
  const fv = new FlowView((items) => who.annotate(items))
  running.views.replace(start.views ?? {})
  running.busiest = start.busiest ?? 0
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
    if (source.kind === 'live') who.processes?.watch()
    // Flow export (serve / desktop setting): fed by the same flow table, never waits on a collector.
    const iface = start.source.kind === 'live' ? start.source.iface : null
    const exp = start.export ? new LiveExport(start.export, iface, agg.aggregator) : null
    port.send({
      type: 'started',
      kind: source.kind === 'live' ? 'live' : 'file',
      link_type: source.linkType,
      link_type_name: source.linkTypeName,
    } satisfies FromWorker)
    const top = start.top ?? 20
    let eof = false
    /** A periodic tick (every client), or an early one `to` the clients waiting for rows. */
    const tick = (snapshot: CaptureSnapshot, stats: CaptureStats | null, to?: string[]) => {
      who.tick()
      // A tick the host has no room for is skipped: the deltas stay with the flows and the
      // next tick that goes out carries them.
      gate.offer((seq, skipped) => {
        const apply = (v: ConnectionsView) =>
          viewOf(fv, agg.aggregator, snapshot.time_us, snapshot.start_us, v)
        const views = running.views.compute(apply, to)
        who.annotate(snapshot.conversations)
        // What alert rules need of the whole table, not only of the top list (when they ask).
        if (running.busiest > 0) snapshot.busiest = agg.aggregator.busiest(running.busiest)
        const taken = deltas ? who.annotate(deltas.take(agg.aggregator)) : null
        port.send({
          type: 'tick',
          seq,
          skipped,
          snapshot,
          stats: exp ? exp.withHealth(stats) : stats,
          deltas: taken,
          deltas_dropped: deltas?.dropped ?? 0,
          ...(views && { views }),
          ...(to && { to }),
          ...(eof && { eof }),
        } satisfies FromWorker)
      })
    }
    running.answer = () => {
      const to = running.views.waiting()
      // No room at the host: the next periodic tick answers them.
      if (to.length > 0 && gate.open) tick(agg.aggregator.snapshot(top), source.stats(), to)
    }
    const result = await runLive(source, agg.aggregator, {
      signal: stop.signal,
      tickMs: start.tickMs ?? 1000,
      top,
      onTick: tick,
      onBatch: () => who.processes?.seen(agg.aggregator.flowsCreated),
    })
    await exp?.finish()
    // A file opened in the UI: its table stays browsable (sort, filter, group) until stopped.
    if (start.hold && result.reason === 'eof') {
      eof = true
      tick(agg.aggregator.snapshot(top), null)
      while (!stop.signal.aborted) {
        await sleep(start.tickMs ?? 1000)
        if (!stop.signal.aborted) tick(agg.aggregator.snapshot(top), null)
      }
    }
    who.processes?.unwatch()
    who.tick()
    const snapshot = agg.aggregator.snapshot(top)
    who.annotate(snapshot.conversations)
    return {
      type: 'ended',
      reason: result.reason,
      warning: result.warning,
      packets: result.packets,
      stats: exp ? exp.withHealth(result.stats) : result.stats,
      snapshot,
      conversations: start.finalConversations ? who.annotate(allConversations(agg)) : null,
      deltas: deltas ? who.annotate(deltas.endAll(agg.aggregator)) : null,
      deltas_dropped: deltas?.dropped ?? 0,
    }
  } finally {
    running.answer = null
    running.who = null
    who.close()
    source.close()
  }
}

runWorker<ToWorker, FromWorker>('capture', ToWorker, ({ port, gate, finish }) => {
  const stop = new AbortController()
  const running: Running = { who: null, views: new ViewSet(), answer: null, busiest: 0 }
  let viewTimer: NodeJS.Timeout | null = null
  let started = false
  let start: StartMessage | null = null
  return {
    badMessage: (message) => ({ type: 'error', ok: false, code: 'CAPTURE_FAILED', message }),
    closed: () => {
      stop.abort()
      if (!started) process.exit(0)
    },
    message: (m) => {
      if (m.type === 'view') {
        // Scrolling sends many views: answer the latest ones, at most every 50 ms.
        if (running.views.replace(m.views))
          viewTimer ??= setTimeout(() => {
            viewTimer = null
            running.answer?.()
          }, 50)
      } else if (m.type === 'busiest') {
        running.busiest = m.n
      } else if (m.type === 'resolve') {
        if (running.who && start) running.who.setResolve(m.on ? resolveOptions(start) : false)
      } else if (m.type === 'stop') {
        stop.abort()
        if (!started) process.exit(0)
      } else if (!started) {
        started = true
        start = m
        run(port, m, stop, gate, running).then(finish, (err: unknown) => {
          if (!(err instanceof CaptureError))
            process.stderr.write(
              `capture worker: ${err instanceof Error ? err.stack : String(err)}\n`,
            )
          finish({ type: 'error', ...toFailure(err) })
        })
      }
    },
  }
})
