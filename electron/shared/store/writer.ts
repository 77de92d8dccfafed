/**
 * The one writer of the history database. Rows are merged in memory per (bucket, series) and
 * committed in one transaction every `flush_ms` (or sooner once `max_rows` are pending), so a
 * crash loses at most the batch in flight and never leaves a partial one (WAL).
 *
 * When the database fails (disk full, read-only, I/O error) the writer stops, reports a
 * StoreFailure through `onFailure` listeners, and from then on drops rows and counts them: the
 * caller keeps running in memory.
 */
import type { StoreFailure } from '../../../common/history'
import { describeFailure, failureCode } from './errors'
import type { Db } from './open'
import { rebuildDerivedSeries } from './derived-series'
import { maintain, readPrunedBelow, readWatermarks, type MaintainOptions } from './rollup'
import { CONV, IFACE, PROBE, upsertSql, type SeriesKind } from './series'
import { bucketStart, FINEST_STEP_S, STEP_S } from './tiers'
import type { ConversationRecord } from '../../../common/capture'
import type { AttributionFields } from '../attribution'
import { conversationService } from '../attribution/service'
import {
  AttributionWrites,
  mergeNames,
  mergeWho,
  namesOf,
  storedWho,
  type Names,
  type StoredWho,
} from './attribution-writes'

/** Bytes/packets one interface moved since the previous tick. */
export interface InterfaceDelta {
  time_us: number
  name: string
  rx_bytes: number
  tx_bytes: number
  rx_packets: number
  tx_packets: number
  drops: number
}

/** The cumulative fields of a capture's conversation record that the store keeps. */
export type ConversationTotals = Pick<
  ConversationRecord,
  | 'protocol'
  | 'address_a'
  | 'port_a'
  | 'address_b'
  | 'port_b'
  | 'packets_a_to_b'
  | 'bytes_a_to_b'
  | 'packets_b_to_a'
  | 'bytes_b_to_a'
  | 'first_seen_us'
  | 'last_seen_us'
  | 'retransmissions'
  | 'handshake_rtt_ms'
>

/**
 * What one conversation did since the previous record of it: the same fields, with counts as
 * deltas and first/last seen bounding the packets this delta covers.
 */
export interface ConversationDelta extends ConversationTotals, AttributionFields {
  /** Time the delta is filed under (its last packet). */
  time_us: number
}

/**
 * One probe target's results over a period as additive sums, so buckets merge exactly (mean =
 * sum / count, stddev from the sum of squares, mtr's jitter from its sum of differences).
 */
export interface ProbeSums {
  kind: string
  target: string
  sent: number
  received: number
  rtt_count: number
  rtt_sum_ms: number
  rtt_sumsq_ms2: number
  rtt_min_ms: number | null
  rtt_max_ms: number | null
  /** Sum of |RTT(n) - RTT(n-1)| and how many differences it holds (mtr's jitter). */
  jitter_sum_ms: number
  jitter_count: number
}

/** Probe results since the previous sample, in aggregatable form. */
export interface ProbeSample extends ProbeSums {
  time_us: number
}

export interface AlertEvent {
  time_us: number
  rule: string
  severity: string
  message: string
  value: number | null
}

export interface WriterOptions extends MaintainOptions {
  /** Commit at least this often (ms); 0 disables the timer (tests call flush()). */
  flush_ms?: number
  /** Commit as soon as this many merged rows are pending. */
  max_rows?: number
  /** Run rollup + retention at most this often (ms), after a commit. */
  maintain_ms?: number
  /** Wall clock in ms (injectable for tests). */
  now_ms?: () => number
}

type Row = Record<string, number | null>

interface Pending {
  kind: SeriesKind
  /** Dimension identity: resolved to an id inside the transaction. */
  dim: (p: Pending) => number
  bucket_s: number
  row: Row
  merge: (into: Row, from: Row) => void
  /** Conversation handshake RTT, kept from the first row merged that has one. */
  rtt?: number | null
  /** Who is talking (attribution-writes.ts), the latest known of the rows merged. */
  who?: StoredWho | null
  names?: Names | null
}

export type WriterState = 'open' | 'failed' | 'closed'

export class HistoryWriter {
  state: WriterState = 'open'
  failure: StoreFailure | null = null
  /** Rows offered (before merging) and committed so far. */
  offered_rows = 0
  committed_rows = 0
  /** Batches committed so far. */
  batches = 0

  private closed = false
  private pending = new Map<string, Pending>()
  private pendingOffered = 0
  private alerts: AlertEvent[] = []
  private dropped = 0
  private timer: NodeJS.Timeout | null = null
  private lastMaintain_ms = 0
  /** SQLITE_BUSY: retries so far and when the next may run (another process holds the lock). */
  private busyRetries = 0
  private retryAt_ms = 0
  private retryTimer: NodeJS.Timeout | null = null
  private sliceTimer: NodeJS.Timeout | null = null
  private readonly listeners = new Set<(f: StoreFailure) => void>()
  private readonly ids = new Map<string, number>()
  private readonly attribution: AttributionWrites
  private readonly opts: Required<Omit<WriterOptions, 'retention' | 'alerts_keep_s'>> &
    MaintainOptions
  private readonly upserts: Map<SeriesKind, ReturnType<Db['prepare']>>
  private readonly stmts

  constructor(
    private readonly db: Db,
    private readonly path: string,
    opts: WriterOptions = {},
  ) {
    this.opts = {
      flush_ms: 2000,
      max_rows: 20_000,
      maintain_ms: 60_000,
      grace_s: 30,
      now_ms: Date.now,
      ...opts,
    }
    this.upserts = new Map([CONV, IFACE, PROBE].map((k) => [k, db.prepare(upsertSql(k))]))
    this.stmts = {
      ifaceIns: db.prepare('INSERT INTO interfaces (name) VALUES (?) ON CONFLICT DO NOTHING'),
      ifaceGet: db.prepare('SELECT id FROM interfaces WHERE name = ?').pluck(),
      convIns: db.prepare(
        'INSERT INTO conversations (protocol, address_a, port_a, address_b, port_b, service, service_port) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      convGet: db
        .prepare(
          'SELECT id FROM conversations WHERE protocol = ? AND address_a = ? AND port_a = ? AND address_b = ? AND port_b = ?',
        )
        .pluck(),
      convRtt: db.prepare(
        'UPDATE conversations SET handshake_rtt_ms = ? WHERE id = ? AND handshake_rtt_ms IS NULL',
      ),
      probeIns: db.prepare(
        'INSERT INTO probes (kind, target) VALUES (?, ?) ON CONFLICT DO NOTHING',
      ),
      probeGet: db.prepare('SELECT id FROM probes WHERE kind = ? AND target = ?').pluck(),
      alertIns: db.prepare(
        'INSERT INTO alerts (time_us, rule, severity, message, value) VALUES (@time_us, @rule, @severity, @message, @value)',
      ),
    }
    this.attribution = new AttributionWrites(db)
    this.lastMaintain_ms = this.opts.now_ms()
    if (this.opts.flush_ms > 0) {
      this.timer = setInterval(() => this.flush(), this.opts.flush_ms)
      this.timer.unref()
    }
  }

  /** Called once if the writer stops on an error; returns an unsubscribe function. */
  onFailure(listener: (f: StoreFailure) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get pending_rows(): number {
    return this.pending.size + this.alerts.length
  }

  addInterface(d: InterfaceDelta): boolean {
    const bucket_s = bucketStart(Math.floor(d.time_us / 1e6), FINEST_STEP_S)
    return this.add(`i|${bucket_s}|${d.name}`, {
      kind: IFACE,
      bucket_s,
      dim: () =>
        this.dimId(`i|${d.name}`, () => {
          this.stmts.ifaceIns.run(d.name)
          return this.stmts.ifaceGet.get(d.name) as number
        }),
      row: {
        rx_bytes: d.rx_bytes,
        tx_bytes: d.tx_bytes,
        rx_packets: d.rx_packets,
        tx_packets: d.tx_packets,
        drops: d.drops,
      },
      merge: addSums(IFACE.sums),
    })
  }

  addConversation(d: ConversationDelta): boolean {
    const bucket_s = bucketStart(Math.floor(d.time_us / 1e6), FINEST_STEP_S)
    const pa = d.port_a ?? -1
    const pb = d.port_b ?? -1
    const key = `c|${d.protocol}|${d.address_a}|${pa}|${d.address_b}|${pb}`
    const base_us = bucket_s * 1e6
    return this.add(`${bucket_s}|${key}`, {
      kind: CONV,
      bucket_s,
      rtt: d.handshake_rtt_ms,
      who: storedWho(d),
      names: namesOf(d),
      dim: (p) => {
        const id = this.dimId(key, () => {
          // The service follows from the ports: named here, whoever recorded the conversation.
          const s = conversationService(d.protocol, d.port_a, d.port_b)
          this.stmts.convIns.run(
            d.protocol,
            d.address_a,
            pa,
            d.address_b,
            pb,
            s?.name ?? null,
            s?.port ?? null,
          )
          return this.stmts.convGet.get(d.protocol, d.address_a, pa, d.address_b, pb) as number
        })
        if (p.rtt != null) this.stmts.convRtt.run(p.rtt, id)
        if (p.who) this.attribution.conversation(id, p.who)
        const seen_us = base_us + (p.row.last_off_us as number)
        if (p.names?.name_a) this.attribution.name(d.address_a, p.names.name_a, seen_us)
        if (p.names?.name_b) this.attribution.name(d.address_b, p.names.name_b, seen_us)
        return id
      },
      row: {
        packets_a_to_b: d.packets_a_to_b,
        bytes_a_to_b: d.bytes_a_to_b,
        packets_b_to_a: d.packets_b_to_a,
        bytes_b_to_a: d.bytes_b_to_a,
        retransmissions: d.retransmissions,
        first_off_us: d.first_seen_us - base_us,
        last_off_us: d.last_seen_us - base_us,
      },
      merge: (into, from) => {
        addSums(CONV.sums)(into, from)
        into.first_off_us = Math.min(into.first_off_us as number, from.first_off_us as number)
        into.last_off_us = Math.max(into.last_off_us as number, from.last_off_us as number)
      },
    })
  }

  addProbe(p: ProbeSample): boolean {
    const bucket_s = bucketStart(Math.floor(p.time_us / 1e6), FINEST_STEP_S)
    const key = `p|${p.kind}|${p.target}`
    return this.add(`${bucket_s}|${key}`, {
      kind: PROBE,
      bucket_s,
      dim: () =>
        this.dimId(key, () => {
          this.stmts.probeIns.run(p.kind, p.target)
          return this.stmts.probeGet.get(p.kind, p.target) as number
        }),
      row: {
        sent: p.sent,
        received: p.received,
        rtt_count: p.rtt_count,
        rtt_sum_ms: p.rtt_sum_ms,
        rtt_sumsq_ms2: p.rtt_sumsq_ms2,
        jitter_sum_ms: p.jitter_sum_ms,
        jitter_count: p.jitter_count,
        rtt_min_ms: p.rtt_min_ms,
        rtt_max_ms: p.rtt_max_ms,
      },
      merge: (into, from) => {
        addSums(PROBE.sums)(into, from)
        into.rtt_min_ms = nullableMin(into.rtt_min_ms ?? null, from.rtt_min_ms ?? null)
        into.rtt_max_ms = nullableMax(into.rtt_max_ms ?? null, from.rtt_max_ms ?? null)
      },
    })
  }

  addAlert(a: AlertEvent): boolean {
    if (this.state !== 'open') return this.drop()
    this.alerts.push(a)
    this.offered_rows++
    this.pendingOffered++
    if (this.pending_rows >= this.opts.max_rows) this.flush()
    return this.state === 'open'
  }

  /**
   * Commits everything pending in one transaction (then rollup + retention if due).
   * Returns false once the writer has failed or closed.
   */
  flush(): boolean {
    if (this.state !== 'open') return false
    if (this.opts.now_ms() < this.retryAt_ms) return true // backing off after SQLITE_BUSY
    if (this.pending.size > 0 || this.alerts.length > 0) {
      const batch = [...this.pending.values()]
      const alerts = this.alerts
      const offered = this.pendingOffered
      try {
        this.db.transaction(() => this.commit(batch, alerts)).immediate()
      } catch (err) {
        this.ids.clear() // ids created in the rolled-back transaction are gone
        this.attribution.forget()
        return this.busy(err) || this.fail(err)
      }
      this.busyRetries = 0
      this.pending = new Map()
      this.alerts = []
      this.pendingOffered = 0
      this.committed_rows += offered
      this.batches++
    }
    const now_ms = this.opts.now_ms()
    if (now_ms - this.lastMaintain_ms >= this.opts.maintain_ms) {
      this.lastMaintain_ms = now_ms
      try {
        this.maintain(now_ms, true)
      } catch (err) {
        return this.busy(err) || this.fail(err)
      }
    }
    return true
  }

  /**
   * Rollup + retention now (also run periodically by flush()). A pass is bounded (rollup.ts);
   * when it stopped at its bound the next slice runs on a later turn of the event loop, so a
   * catch-up never holds the loop for long. Dimension rows pruned (ended conversations that
   * aged out) also leave the id cache.
   */
  maintain(now_ms = this.opts.now_ms(), slice = false) {
    const res = maintain(this.db, Math.floor(now_ms / 1000), { ...this.opts, slice })
    if (res.pruned_dims > 0) {
      this.ids.clear()
      this.attribution.prune()
    }
    if (res.more && !this.sliceTimer && this.state === 'open') {
      this.sliceTimer = setTimeout(() => {
        this.sliceTimer = null
        if (this.state !== 'open') return
        try {
          this.maintain(this.opts.now_ms(), true)
        } catch (err) {
          if (!this.busy(err)) this.fail(err)
        }
      }, 0)
      this.sliceTimer.unref()
    }
    return res
  }

  get retention(): WriterOptions['retention'] {
    return this.opts.retention
  }

  /** Replaces the retention (per kind or for all); applied from the next maintenance pass. */
  setRetention(retention: NonNullable<WriterOptions['retention']>): void {
    this.opts.retention = retention
  }

  /** Final flush, then closes the database. Returns the failure, if any. */
  close(): StoreFailure | null {
    if (this.closed) return this.failure
    this.closed = true
    this.retryAt_ms = 0 // a last attempt even while backing off
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.sliceTimer) clearTimeout(this.sliceTimer)
    this.flush()
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.state === 'open') {
      try {
        this.db.pragma('optimize')
      } catch {
        // best effort
      }
    }
    try {
      this.db.close()
    } catch {
      // already failed; nothing more to do
    }
    this.state = this.state === 'failed' ? 'failed' : 'closed'
    return this.failure
  }

  private add(mergeKey: string, p: Pending): boolean {
    if (this.state !== 'open') return this.drop()
    this.offered_rows++
    this.pendingOffered++
    const have = this.pending.get(mergeKey)
    if (have) {
      have.merge(have.row, p.row)
      have.rtt ??= p.rtt
      if (p.who) have.who = mergeWho(have.who ?? null, p.who)
      if (p.names) have.names = mergeNames(have.names ?? null, p.names)
    } else this.pending.set(mergeKey, p)
    if (this.pending_rows >= this.opts.max_rows) this.flush()
    return this.state === 'open'
  }

  private drop(): false {
    this.dropped++
    if (this.failure) this.failure.dropped_rows++
    return false
  }

  private commit(batch: Pending[], alerts: AlertEvent[]): void {
    // Rows for buckets already rolled up also go straight into the coarser tiers.
    const done = readWatermarks(this.db)
    // Conversation buckets this commit changed, per tier: their derived series are rebuilt.
    const touched = new Set<string>()
    for (const p of batch) {
      const id = p.dim(p)
      const upsert = this.upserts.get(p.kind)!
      const base_us = p.bucket_s * 1e6
      const conv = p.kind.kind === 'conversations'
      upsert.run({ step_s: FINEST_STEP_S, bucket_s: p.bucket_s, [p.kind.key]: id, ...p.row })
      if (conv) touched.add(`${FINEST_STEP_S}:${p.bucket_s}`)
      let fine = p.bucket_s
      for (let i = 0; i < done.length && fine < (done[i] as number); i++) {
        const step = STEP_S[i + 1] as number
        const coarse = bucketStart(p.bucket_s, step)
        const row: Row = { ...p.row }
        if (p.kind.seen) {
          row.first_off_us = (row.first_off_us as number) + base_us - coarse * 1e6
          row.last_off_us = (row.last_off_us as number) + base_us - coarse * 1e6
        }
        upsert.run({ step_s: step, bucket_s: coarse, [p.kind.key]: id, ...row })
        if (conv) touched.add(`${step}:${coarse}`)
        fine = coarse
      }
    }
    // Only where the bucket's conversation rows are all there: a late row for a bucket that
    // retention already emptied would rebuild it from that row alone (host series may be kept
    // longer than conversations), so such a bucket keeps what it had.
    const convKept = touched.size ? readPrunedBelow(this.db, 'conversations') : []
    for (const key of touched) {
      const [step, bucket] = key.split(':').map(Number) as [number, number]
      if (bucket < (convKept[STEP_S.indexOf(step)] as number)) continue
      rebuildDerivedSeries(this.db, step, bucket, bucket + step)
    }
    for (const a of alerts) this.stmts.alertIns.run(a)
  }

  private dimId(key: string, resolve: () => number): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = resolve()
      // Bounded: the oldest entry goes (Map order); it is looked up again if it comes back.
      if (this.ids.size >= MAX_CACHED_IDS) this.ids.delete(this.ids.keys().next().value as string)
      this.ids.set(key, id)
    }
    return id
  }

  /**
   * SQLITE_BUSY (another process holds the write lock past busy_timeout) is retried with
   * exponential backoff, the batch kept pending, instead of stopping history until restart.
   * Gives up (fails) after MAX_BUSY_RETRIES in a row or once the pending rows pass 10 batches.
   */
  private busy(err: unknown): boolean {
    if (failureCode(err) !== 'BUSY') return false
    if (this.busyRetries >= MAX_BUSY_RETRIES || this.pending_rows > 10 * this.opts.max_rows)
      return false
    const wait_ms = Math.min(100 * 2 ** this.busyRetries, 30_000)
    this.busyRetries++
    this.retryAt_ms = this.opts.now_ms() + wait_ms
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => this.flush(), wait_ms)
    this.retryTimer.unref()
    return true
  }

  private fail(err: unknown): false {
    const { code, message } = describeFailure(err, this.path)
    this.state = 'failed'
    this.failure = { code, message, dropped_rows: this.pendingOffered }
    this.pending = new Map()
    this.alerts = []
    this.pendingOffered = 0
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    for (const l of this.listeners) l(this.failure)
    return false
  }
}

const MAX_BUSY_RETRIES = 12
/** Dimension ids (interfaces, conversations, probes) remembered by the writer. */
export const MAX_CACHED_IDS = 50_000

function addSums(cols: readonly string[]) {
  return (into: Row, from: Row) => {
    for (const c of cols) into[c] = (into[c] as number) + (from[c] as number)
  }
}

const nullableMin = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b)
const nullableMax = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b)
