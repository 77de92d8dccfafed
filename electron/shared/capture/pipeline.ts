/**
 * One pipeline for every source: frames go from a CaptureSource into the flow Aggregator in
 * batches, yielding to the event loop between batches so ticks, Ctrl-C and IPC keep flowing.
 */
import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import type { AttributionFields } from '../attribution'
import { Aggregator, UnsupportedLinkTypeError } from '../flows/aggregator'
import type { Flow } from '../flows/flow'
import { CaptureError } from './errors'
import type { CaptureSource, CaptureStats, PacketSink } from './source'

/** Frames per native read; a 4 MiB batch holds ~28k headers-only records anyway. */
const BATCH_PACKETS = 65536
/**
 * A source that cannot wait for traffic (an in-process live handle) is polled when idle: 1 ms
 * after traffic, doubling while nothing comes, up to 16 ms. The capture helper's stream is
 * waited on instead (CaptureSource.waitReady): no wake-up until a batch or a tick is due.
 */
const IDLE_POLL_MIN_MS = 1
const IDLE_POLL_MAX_MS = 16
/** At a stop, how long the capture helper may take to hand over its last packets. */
const FINISH_WAIT_MS = 1000
/**
 * Ticks fall this long after a wall-clock second starts. Rate windows cover complete seconds,
 * and the capture helper hands packets over up to 250 ms after they arrive (BLOCK_MS): a tick
 * just after the second ended would count its last packets a second late, under-reading the 2 s
 * rate.
 */
const TICK_PHASE_MS = 400

/** The first tick time after `nowUs`: every tickMs, TICK_PHASE_MS into the second when it fits. */
export function nextTickAfter(nowUs: number, tickMs: number): number {
  const tickUs = tickMs * 1000
  const phaseUs = (TICK_PHASE_MS * 1000) % tickUs
  return (Math.floor((nowUs - phaseUs) / tickUs) + 1) * tickUs + phaseUs
}

export interface AggregatorOptions {
  maxFlows?: number
  idleTimeoutS?: number
  /**
   * Keep every ended flow for a final report (default true). A long-running monitor that only
   * shows snapshots passes false, so memory stays bounded by the flow table.
   */
  keepEnded?: boolean
  /** Collect per-tick history deltas (capture worker with `record`, `capture --db`). */
  deltas?: FlowDeltas
}

/** A file is one analysis: a conversation idle for a while is still the same conversation, as tshark reports it. */
export const FILE_IDLE_TIMEOUT_S = 365 * 24 * 3600

/** The aggregator for a source, plus every flow that ended (expired or evicted) along the way. */
export interface Aggregation {
  aggregator: Aggregator
  ended: ConversationRecord[]
}

export function aggregate(source: CaptureSource, options: AggregatorOptions = {}): Aggregation {
  const ended: ConversationRecord[] = []
  try {
    const keep = options.keepEnded !== false
    const deltas = options.deltas
    const aggregator = new Aggregator({
      linkType: source.linkType,
      ...(options.maxFlows !== undefined && { maxFlows: options.maxFlows }),
      ...(options.idleTimeoutS !== undefined && { idleTimeoutS: options.idleTimeoutS }),
      ...((keep || deltas) && {
        onFlowEnd: (rec: ConversationRecord, flow: Flow) => {
          if (keep) ended.push(rec)
          deltas?.flowEnded(rec, flow)
        },
      }),
    })
    return { aggregator, ended }
  } catch (err) {
    if (err instanceof UnsupportedLinkTypeError) {
      throw new CaptureError(
        'UNSUPPORTED_LINK_TYPE',
        `unsupported link type ${source.linkTypeName} (LINKTYPE ${source.linkType}): Flowscope decodes Ethernet, Linux cooked (SLL, SLL2), raw IP, BSD loopback and PPP`,
      )
    }
    throw err
  }
}

/** Every conversation seen: still active plus ended, oldest first. */
export function allConversations(agg: Aggregation): ConversationRecord[] {
  const all = agg.ended.concat(agg.aggregator.conversations())
  return all.sort((x, y) => x.first_seen_us - y.first_seen_us)
}

/**
 * One conversation's history delta: what it did since its previous delta (see
 * shared/protocol/capture.ts FlowDeltaSchema, which validates it across the worker boundary).
 * Who is talking (process, service, names, country, AS) rides along when the capture attributes
 * its conversations: the latest known answer with every delta (null: not known yet), which the
 * store keeps per conversation.
 */
export interface FlowDelta extends AttributionFields {
  protocol: string
  address_a: string
  port_a: number | null
  address_b: string
  port_b: number | null
  packets_a_to_b: number
  bytes_a_to_b: number
  packets_b_to_a: number
  bytes_b_to_a: number
  retransmissions: number
  /** The delta's first packet (just after the previous delta's last one) and last packet, µs. */
  first_seen_us: number
  last_seen_us: number
  /** Set once: in the delta where the handshake was first seen. */
  handshake_rtt_ms: number | null
  /** The conversation left the table (expired, evicted, end of capture) with this delta. */
  ended: boolean
}

/** Ended conversations' deltas kept while the host lags; beyond this the oldest are dropped and counted. */
export const MAX_PENDING_ENDED = 100_000

/**
 * Per-tick history deltas, computed where the packets are counted: each flow remembers what it
 * last reported (Flow.reported), so a tick sends only the flows seen since the previous one
 * (a prefix of the table's most-recent-first order) and a flow that ends sends its last delta.
 * Nothing keeps a copy of the totals anywhere else. A tick that is not taken (the host lags)
 * merges into the next take by construction.
 */
export class FlowDeltas {
  private ended: FlowDelta[] = []
  /** Ended deltas dropped because more than `maxPendingEnded` waited. */
  dropped = 0

  constructor(private readonly maxPendingEnded = MAX_PENDING_ENDED) {}

  /** The aggregator's onFlowEnd hook: a flow that leaves the table files its last delta. */
  readonly flowEnded = (_rec: ConversationRecord, flow: Flow): void => {
    // Nothing new since its last delta still needs saying: the conversation is over.
    const d = delta(flow, true) ?? endMark(flow)
    if (this.ended.length >= this.maxPendingEnded) {
      this.ended.shift()
      this.dropped++
    }
    this.ended.push(d)
  }

  /** Deltas since the previous take: ended conversations first, then active ones that changed. */
  take(aggregator: Aggregator): FlowDelta[] {
    const out = this.ended
    this.ended = []
    const active: FlowDelta[] = []
    for (const f of aggregator.recent()) {
      const d = delta(f, false)
      if (!d) break // every flow after this one was last seen before the previous take
      active.push(d)
    }
    // Oldest change first, like the ended ones.
    for (let i = active.length - 1; i >= 0; i--) out.push(active[i]!)
    return out
  }

  /** End of the capture: what is left, every flow still in the table marked ended. */
  endAll(aggregator: Aggregator): FlowDelta[] {
    const out = this.ended
    this.ended = []
    const rest: FlowDelta[] = []
    for (const f of aggregator.recent()) rest.push(delta(f, true) ?? endMark(f))
    for (let i = rest.length - 1; i >= 0; i--) out.push(rest[i]!)
    return out
  }
}

/** A flow that ends with nothing new to count: a zero delta that only says so. */
function endMark(f: Flow): FlowDelta {
  return {
    protocol: f.protocol,
    address_a: f.addressA,
    port_a: f.portA,
    address_b: f.addressB,
    port_b: f.portB,
    packets_a_to_b: 0,
    bytes_a_to_b: 0,
    packets_b_to_a: 0,
    bytes_b_to_a: 0,
    retransmissions: 0,
    first_seen_us: f.lastUs,
    last_seen_us: f.lastUs,
    handshake_rtt_ms: null,
    ended: true,
  }
}

/** The flow's change since its last report (null if none) and marks it reported. */
function delta(f: Flow, ended: boolean): FlowDelta | null {
  const r = f.reported
  const retrans = f.tcp?.retransmissions ?? 0
  const rtt = f.tcp?.handshakeRttMs ?? null
  const packetsAB = f.packetsAB - (r?.packetsAB ?? 0)
  const packetsBA = f.packetsBA - (r?.packetsBA ?? 0)
  const rttNew = rtt !== null && !(r?.rtt ?? false)
  if (r && packetsAB === 0 && packetsBA === 0 && !rttNew) return null
  const d: FlowDelta = {
    protocol: f.protocol,
    address_a: f.addressA,
    port_a: f.portA,
    address_b: f.addressB,
    port_b: f.portB,
    packets_a_to_b: packetsAB,
    bytes_a_to_b: f.bytesAB - (r?.bytesAB ?? 0),
    packets_b_to_a: packetsBA,
    bytes_b_to_a: f.bytesBA - (r?.bytesBA ?? 0),
    retransmissions: Math.max(0, retrans - (r?.retransmissions ?? 0)),
    first_seen_us: r ? Math.min(r.lastUs + 1, f.lastUs) : f.firstUs,
    last_seen_us: f.lastUs,
    handshake_rtt_ms: rttNew ? rtt : null,
    ended,
  }
  f.reported = {
    packetsAB: f.packetsAB,
    bytesAB: f.bytesAB,
    packetsBA: f.packetsBA,
    bytesBA: f.bytesBA,
    retransmissions: Math.max(retrans, r?.retransmissions ?? 0),
    lastUs: f.lastUs,
    rtt: (r?.rtt ?? false) || rttNew,
  }
  return d
}

export interface DrainOptions {
  signal?: AbortSignal
  /** Called after each batch with the fraction of the file read (null if unknown) and packets so far. */
  onProgress?: (fraction: number | null, packets: number) => void
}

export interface DrainResult {
  packets: number
  /** Set when the file ended in a damaged record: the packets before it were counted. */
  warning: string | null
  aborted: boolean
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Cuts waits short when the signal aborts (the native wait behind one ends on its own timeout or
 * close). One abort listener serves every wait of a run: a capture waits ~10 times a second, and
 * adding and removing a listener each time cost more than the wait itself.
 */
function abortableWaits(signal: AbortSignal | undefined): {
  until: (wait: Promise<unknown>) => Promise<unknown>
  dispose: () => void
} {
  if (!signal) return { until: (wait) => wait, dispose: () => {} }
  let wake = () => {}
  const onAbort = () => wake()
  signal.addEventListener('abort', onAbort, { once: true })
  return {
    until: (wait) =>
      signal.aborted
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            wake = () => resolve(undefined)
            wait.then(resolve, reject)
          }),
    dispose: () => signal.removeEventListener('abort', onAbort),
  }
}

/** Reads a finite source (file, synthetic frames) to its end into the aggregator. */
export async function drain(
  source: CaptureSource,
  aggregator: Aggregator,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const add = aggregator.add.bind(aggregator)
  let packets = 0
  for (;;) {
    if (options.signal?.aborted) return { packets, warning: null, aborted: true }
    const r = source.pump(add, BATCH_PACKETS)
    packets += r.packets
    options.onProgress?.(source.progress(), packets)
    if (r.status === 'eof') return { packets, warning: null, aborted: false }
    if (r.status === 'error') {
      if (packets === 0)
        throw new CaptureError(
          'NOT_A_CAPTURE',
          `cannot read the capture: ${r.error ?? 'read error'}`,
        )
      return {
        packets,
        warning: `stopped after ${packets} packets: ${r.error ?? 'read error'}`,
        aborted: false,
      }
    }
    await yieldToLoop()
  }
}

export interface LiveRunOptions {
  signal?: AbortSignal
  /** Stop after this long (monotonic: a clock set back does not lengthen it); else until the signal. */
  durationMs?: number
  tickMs?: number
  /** Conversations per tick snapshot. */
  top?: number
  onTick?: (snapshot: CaptureSnapshot, stats: CaptureStats | null) => void
  /** After each batch that brought packets (work that follows the traffic, not a timer). */
  onBatch?: () => void
  /** Wall clock in µs; injectable for tests. */
  nowUs?: () => number
}

export interface LiveRunResult {
  packets: number
  stats: CaptureStats | null
  /** error: the source failed mid-way (interface gone, damaged file); `warning` says why. */
  reason: 'signal' | 'duration' | 'eof' | 'error'
  warning: string | null
}

/**
 * Runs a live (or replayed) source until the signal, the duration or the end of the source.
 * Ticks advance the aggregator on the wall clock, so rates decay when traffic stops.
 */
export async function runLive(
  source: CaptureSource,
  aggregator: Aggregator,
  options: LiveRunOptions = {},
): Promise<LiveRunResult> {
  const nowUs = options.nowUs ?? (() => Date.now() * 1000)
  const tickMs = options.tickMs ?? 1000
  const startUs = nowUs()
  const endMs = performance.now() + (options.durationMs ?? Infinity)
  let nextTickUs = nextTickAfter(startUs, tickMs)
  const add = aggregator.add.bind(aggregator)
  let packets = 0
  let reason: LiveRunResult['reason'] = 'signal'
  let warning: string | null = null
  let idleMs = IDLE_POLL_MIN_MS
  const waits = abortableWaits(options.signal)
  try {
    for (;;) {
      if (options.signal?.aborted) break
      const r = source.pump(add, BATCH_PACKETS)
      packets += r.packets
      if (r.packets > 0) options.onBatch?.()
      if (r.status === 'error') {
        // What was counted so far is still right: end with it rather than lose it.
        if (packets === 0 && source.kind === 'file') {
          throw new CaptureError(
            'NOT_A_CAPTURE',
            `cannot read the capture: ${r.error ?? 'read error'}`,
          )
        }
        warning = `capture stopped after ${packets} packets: ${r.error ?? 'read error'}`
        reason = 'error'
        break
      }
      const now = nowUs()
      // The wall clock was set back: tick on the new clock's schedule, not hours from now.
      if (nextTickUs - now > tickMs * 1000) nextTickUs = nextTickAfter(now, tickMs)
      if (now >= nextTickUs) {
        if (source.kind === 'live') aggregator.advance(now)
        options.onTick?.(aggregator.snapshot(options.top), source.stats())
        nextTickUs = nextTickAfter(now, tickMs)
      }
      if (performance.now() >= endMs) {
        reason = 'duration'
        break
      }
      if (r.status === 'eof') {
        reason = 'eof'
        break
      }
      if (r.status === 'idle') {
        if (source.waitReady) {
          // Until the next batch, or in time for the next tick or the end.
          const dueMs = Math.ceil(Math.min((nextTickUs - now) / 1000, endMs - performance.now()))
          await waits.until(source.waitReady(Math.max(1, dueMs)))
        } else {
          await sleep(idleMs)
          idleMs = Math.min(idleMs * 2, IDLE_POLL_MAX_MS)
        }
      } else {
        idleMs = IDLE_POLL_MIN_MS
        await yieldToLoop()
      }
    }
  } finally {
    waits.dispose()
  }
  if (source.kind === 'live' && reason !== 'error') packets += await finishLive(source, add)
  const stats = source.stats()
  return { packets, stats, reason, warning }
}

/**
 * Counts what was captured before a stop: the capture helper hands over the kernel's last block
 * and ends its stream (bounded wait); an in-process handle has it buffered already.
 */
async function finishLive(source: CaptureSource, add: PacketSink): Promise<number> {
  let packets = 0
  source.finish?.()
  const deadline = Date.now() + FINISH_WAIT_MS
  for (let i = 0; i < 64; i++) {
    const r = source.pump(add, BATCH_PACKETS)
    packets += r.packets
    if (r.status === 'more') continue
    const left = deadline - Date.now()
    if (r.status !== 'idle' || !source.waitReady || left <= 0) break
    await source.waitReady(left)
  }
  return packets
}
