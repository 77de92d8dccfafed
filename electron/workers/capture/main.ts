/**
 * Capture worker process: opens one source (live interface or file), aggregates every packet in
 * this process and sends the parent one snapshot per tick. Started by CaptureClient with
 * child_process.fork (plain Node) or by Electron's utilityProcess (same entry, parentPort).
 */
import type { ConversationRecord } from '../../../common/capture'
import { CaptureError, toFailure } from '../../shared/capture/errors'
import { openFile, openLive } from '../../shared/capture/libpcap-source'
import { FromWorker, ToWorker, type StartMessage } from '../../shared/protocol/capture'
import {
  aggregate,
  allConversations,
  FILE_IDLE_TIMEOUT_S,
  FlowChanges,
  runLive,
} from '../../shared/capture/pipeline'
import type { CaptureSource } from '../../shared/capture/source'

/** Ticks the parent may leave unacknowledged before the worker skips (merges) ticks. */
const MAX_IN_FLIGHT = 2

interface Port {
  send(message: FromWorker, done?: () => void): void
  onMessage(handler: (message: unknown) => void): void
  onClose(handler: () => void): void
}

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', handler: (e: { data: unknown }) => void): void
}

function connect(): Port | null {
  const parentPort = (process as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    return {
      send: (m, done) => {
        parentPort.postMessage(m)
        done?.()
      },
      onMessage: (h) => parentPort.on('message', (e) => h(e.data)),
      onClose: () => {},
    }
  }
  if (!process.send) return null
  return {
    send: (m, done) => {
      if (process.connected) process.send!(m, undefined, {}, () => done?.())
      else done?.()
    },
    onMessage: (h) => process.on('message', h),
    onClose: (h) => process.on('disconnect', h),
  }
}

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

async function run(
  port: Port,
  start: StartMessage,
  stop: AbortController,
  acked: () => number,
): Promise<FromWorker> {
  const source = open(start)
  try {
    const idle = start.idleTimeoutS ?? (source.kind === 'file' ? FILE_IDLE_TIMEOUT_S : undefined)
    const agg = aggregate(source, {
      keepEnded: start.finalConversations === true || start.record === true,
      ...(start.maxFlows !== undefined && { maxFlows: start.maxFlows }),
      ...(idle !== undefined && { idleTimeoutS: idle }),
    })
    port.send({
      type: 'started',
      kind: source.kind === 'live' ? 'live' : 'file',
      link_type: source.linkType,
      link_type_name: source.linkTypeName,
    })
    const changes = start.record ? new FlowChanges(agg, start.finalConversations !== true) : null
    let seq = 0
    let skipped = 0
    const result = await runLive(source, agg.aggregator, {
      signal: stop.signal,
      tickMs: start.tickMs ?? 1000,
      top: start.top ?? 20,
      onTick: (snapshot, stats) => {
        if (seq - acked() >= MAX_IN_FLIGHT) {
          skipped++
          return
        }
        seq++
        port.send({ type: 'tick', seq, snapshot, stats, skipped, flows: changes?.take() ?? null })
      },
    })
    const conversations: ConversationRecord[] | null = start.finalConversations
      ? allConversations(agg)
      : null
    return {
      type: 'ended',
      reason: result.reason,
      packets: result.packets,
      stats: result.stats,
      snapshot: agg.aggregator.snapshot(start.top ?? 20),
      warning: result.warning,
      conversations,
      flows: changes?.take() ?? null,
    }
  } finally {
    source.close()
  }
}

function main(): void {
  const port = connect()
  if (!port) {
    process.stderr.write('capture worker: start me with child_process.fork or utilityProcess\n')
    process.exitCode = 2
    return
  }
  const stop = new AbortController()
  let lastAck = 0
  let started = false
  const finish = (message: FromWorker) => port.send(message, () => process.exit(0))
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
    if (m.type === 'ack') lastAck = Math.max(lastAck, m.seq)
    else if (m.type === 'stop') stop.abort()
    else if (!started) {
      started = true
      run(port, m, stop, () => lastAck).then(finish, (err: unknown) => {
        const f = toFailure(err)
        if (!(err instanceof CaptureError))
          process.stderr.write(
            `capture worker: ${err instanceof Error ? err.stack : String(err)}\n`,
          )
        finish({ type: 'error', ...f })
      })
    }
  })
}

main()
