/**
 * One pipeline for every source: frames go from a CaptureSource into the flow Aggregator in
 * batches, yielding to the event loop between batches so ticks, Ctrl-C and IPC keep flowing.
 */
import type { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { Aggregator, UnsupportedLinkTypeError } from '../flows/aggregator'
import { CaptureError } from './errors'
import type { CaptureSource, CaptureStats } from './source'

/** Frames per native read; a 4 MiB batch holds ~28k headers-only records anyway. */
const BATCH_PACKETS = 65536
/** How long an idle live source sleeps before polling libpcap again (the kernel ring buffers meanwhile). */
const IDLE_POLL_MS = 2

export interface AggregatorOptions {
  maxFlows?: number
  idleTimeoutS?: number
  /**
   * Keep every ended flow for a final report (default true). A long-running monitor that only
   * shows snapshots passes false, so memory stays bounded by the flow table.
   */
  keepEnded?: boolean
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
    const aggregator = new Aggregator({
      linkType: source.linkType,
      ...(options.maxFlows !== undefined && { maxFlows: options.maxFlows }),
      ...(options.idleTimeoutS !== undefined && { idleTimeoutS: options.idleTimeoutS }),
      ...(options.keepEnded !== false && {
        onFlowEnd: (rec: ConversationRecord) => ended.push(rec),
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
 * What changed since the previous take, for the history store: the flows that ended since then,
 * and the active flows that saw packets since then (cumulative records; the recorder files the
 * difference). `release` drops ended flows once taken, so a long-running worker stays bounded.
 */
export class FlowChanges {
  private sinceUs = 0
  private endedIndex = 0

  constructor(
    private readonly agg: Aggregation,
    private readonly release: boolean,
  ) {}

  take(): { active: ConversationRecord[]; ended: ConversationRecord[] } {
    const ended = this.agg.ended.slice(this.endedIndex)
    if (this.release) this.agg.ended.length = 0
    this.endedIndex = this.agg.ended.length
    const active: ConversationRecord[] = []
    let latest = this.sinceUs
    for (const c of this.agg.aggregator.conversations()) {
      // >=: a flow updated again within the same microsecond is filed again, harmlessly (cumulative).
      if (c.last_seen_us >= this.sinceUs) active.push(c)
      if (c.last_seen_us > latest) latest = c.last_seen_us
    }
    this.sinceUs = latest
    return { active, ended }
  }
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
  /** Stop after this long (wall clock); runs until the signal otherwise. */
  durationMs?: number
  tickMs?: number
  /** Conversations per tick snapshot. */
  top?: number
  onTick?: (snapshot: CaptureSnapshot, stats: CaptureStats | null) => void
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
  const endUs = options.durationMs === undefined ? Infinity : startUs + options.durationMs * 1000
  let nextTickUs = startUs + tickMs * 1000
  const add = aggregator.add.bind(aggregator)
  let packets = 0
  let reason: LiveRunResult['reason'] = 'signal'
  let warning: string | null = null
  for (;;) {
    if (options.signal?.aborted) break
    const r = source.pump(add, BATCH_PACKETS)
    packets += r.packets
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
    if (now >= nextTickUs) {
      if (source.kind === 'live') aggregator.advance(now)
      options.onTick?.(aggregator.snapshot(options.top), source.stats())
      nextTickUs = Math.max(nextTickUs + tickMs * 1000, now)
    }
    if (now >= endUs) {
      reason = 'duration'
      break
    }
    if (r.status === 'eof') {
      reason = 'eof'
      break
    }
    if (r.status === 'idle') await sleep(IDLE_POLL_MS)
    else await yieldToLoop()
  }
  // Count what the kernel already buffered before the stop, then read the final statistics.
  for (let i = 0; i < 64 && source.kind === 'live' && reason !== 'error'; i++) {
    const r = source.pump(add, BATCH_PACKETS)
    packets += r.packets
    if (r.status !== 'more') break
  }
  const stats = source.stats()
  return { packets, stats, reason, warning }
}
