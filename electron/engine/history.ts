/**
 * History for the engine's faces: records what the Monitor publishes into the SQLite store, answers
 * range queries, and hands out one-time export tickets that a transport turns into a streamed
 * download (serve mode: HTTP; desktop: a custom protocol). Store failures become events, and the
 * engine goes on in memory.
 */
import { randomBytes } from 'node:crypto'
import {
  HISTORY_MAX_ROWS,
  type AlertHistoryQuery,
  type AlertHistoryRow,
  type HistoryQuery,
  type HistoryResult,
  type HistoryRetention,
  type HistoryRetentionChange,
  type ProbeHistoryQuery,
  type ProbeHistoryResult,
  type StoreFailure,
} from '../../common/history'
import type { HistoryStatus } from '../../common/contract'
import { EngineError } from './api'
import type { EventBus } from './events'
import { HistoryReader, type ReaderOptions } from './history-reader'
import type { ProbeAggregate } from './probes/aggregate'
import type { FlowDelta } from '../shared/capture/pipeline'
import {
  kindRetention,
  mergeRetention,
  openRecorder,
  resolveDbPath,
  type AlertEvent,
  type ExportFormat,
  type OpenRecorderResult,
  type Recorder,
  type WriterOptions,
} from '../shared/store'

/** An export waiting for its download; tickets are single-use and short-lived. */
interface Ticket {
  query: HistoryQuery
  format: ExportFormat
  filename: string
  expires_ms: number
}

const TICKET_TTL_MS = 60_000
const MAX_TICKETS = 64

export interface Download {
  filename: string
  contentType: string
  /**
   * The export's text, chunk by chunk, read on the store reader thread. Stop iterating (or
   * abort `signal`) when the client goes away: the query stops and its read transaction ends.
   */
  chunks(signal?: AbortSignal): AsyncGenerator<string>
}

export interface HistoryOptions {
  /** The store reader thread (tests: a deliberately slow one, a short time limit). */
  reader?: Omit<ReaderOptions, 'path'>
  /** Writer options (retention per kind, flush and maintenance periods). */
  writer?: WriterOptions
}

export class History {
  readonly path: string
  private recorder: Recorder | null = null
  private failure: StoreFailure | null = null
  private readonly reader: HistoryReader
  /** Exports on their own thread: replacing the query thread (a cancelled query) never cuts one. */
  private readonly exporter: HistoryReader
  private readonly tickets = new Map<string, Ticket>()
  private readonly offs: Array<() => void> = []
  private readonly writerOpts: WriterOptions

  /**
   * `db`: --db value (undefined: $FLOWSCOPE_DB or the data directory); `record`: false reads
   * only (nothing is opened until a query needs it, and a missing file is never created).
   */
  constructor(
    private readonly events: EventBus,
    db: string | undefined,
    env: NodeJS.ProcessEnv,
    record: boolean,
    opts: HistoryOptions = {},
  ) {
    this.path = resolveDbPath(db, { env })
    this.reader = new HistoryReader({ ...opts.reader, path: this.path })
    this.exporter = new HistoryReader({ ...opts.reader, path: this.path })
    this.writerOpts = opts.writer ?? {}
    if (!record) return
    const opened = tryOpenRecorder(db, env, opts.writer)
    if (!opened.ok) {
      this.failure = opened.failure
      return
    }
    this.recorder = opened.recorder
    this.offs.push(opened.recorder.onFailure((f) => this.fail(f)))
    this.offs.push(events.on('bandwidth.tick', (tick) => this.recorder?.bandwidthTick(tick)))
    this.offs.push(events.on('capture.state', (s) => !s.active && this.recorder?.reset()))
  }

  /** A capture tick's conversation deltas (computed in the capture worker), filed as they are. */
  recordFlows(deltas: readonly FlowDelta[]): void {
    this.recorder?.deltas(deltas)
  }

  /** One period's probe sums per target (additive, so buckets merge exactly). */
  recordProbes(samples: readonly ProbeAggregate[], time_us: number): void {
    for (const sample of samples) this.recorder?.probe({ ...sample, time_us })
  }

  /** One alert firing or clearing. */
  recordAlert(event: AlertEvent): void {
    this.recorder?.alert(event)
  }

  status(): HistoryStatus {
    return { path: this.path, recording: this.recorder?.recording ?? false, failure: this.failure }
  }

  /**
   * Runs on the reader thread; at most HISTORY_MAX_ROWS rows (then `truncated`). `signal`
   * (CallContext.signal) cancels it: it rejects with EngineError('CANCELLED').
   */
  query(q: HistoryQuery, signal?: AbortSignal): Promise<HistoryResult> {
    return this.reader.request({ type: 'history', query: q, max_rows: HISTORY_MAX_ROWS }, signal)
  }

  probes(q: ProbeHistoryQuery, signal?: AbortSignal): Promise<ProbeHistoryResult> {
    return this.reader.request({ type: 'probes', query: q, max_rows: HISTORY_MAX_ROWS }, signal)
  }

  /** Alert firings and clearings in a range, oldest first (at most `q.limit`). */
  async alerts(q: AlertHistoryQuery, signal?: AbortSignal): Promise<{ rows: AlertHistoryRow[] }> {
    return {
      rows: await this.reader.request<AlertHistoryRow[]>({ type: 'alerts', query: q }, signal),
    }
  }

  /** Reserves an export of `q`; the transport streams it when the ticket is redeemed. */
  exportTicket(q: HistoryQuery, format: ExportFormat): { ticket: string; filename: string } {
    const now = Date.now()
    for (const [id, t] of this.tickets) if (t.expires_ms < now) this.tickets.delete(id)
    if (this.tickets.size >= MAX_TICKETS)
      throw new EngineError('UNAVAILABLE', `too many exports waiting (${MAX_TICKETS}): retry later`)
    const ticket = randomBytes(18).toString('base64url')
    const stamp = new Date(q.from_s * 1000).toISOString().slice(0, 16).replace(/[:T]/g, '-')
    const filename = `flowscope-${q.by}-${stamp}.${format}`
    this.tickets.set(ticket, { query: q, format, filename, expires_ms: now + TICKET_TTL_MS })
    return { ticket, filename }
  }

  /**
   * The download a ticket stands for, or null. `consume: false` (HTTP HEAD) only looks: the
   * ticket stays valid for the GET.
   */
  redeem(ticket: string, consume = true): Download | null {
    const t = this.tickets.get(ticket)
    if (consume || (t && t.expires_ms < Date.now())) this.tickets.delete(ticket)
    if (!t || t.expires_ms < Date.now()) return null
    return {
      filename: t.filename,
      contentType: t.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
      chunks: (signal) =>
        this.exporter.stream({ type: 'export', query: t.query, format: t.format }, signal),
    }
  }

  retention(): HistoryRetention {
    return kindRetention(this.recorder?.writer.retention ?? this.writerOpts.retention)
  }

  setRetention(change: HistoryRetentionChange): HistoryRetention {
    if (!this.recorder) throw new EngineError('UNAVAILABLE', 'history is not being recorded')
    const next: HistoryRetention = mergeRetention(this.retention(), change)
    this.recorder.writer.setRetention(next)
    return next
  }

  close(): void {
    this.offs.forEach((off) => off())
    this.recorder?.writer.close()
    this.recorder = null
    void this.reader.close()
    void this.exporter.close()
  }

  private fail(f: StoreFailure): void {
    this.failure = f
    this.events.emit('history.failure', f)
  }
}

/** openRecorder, with a native module that won't load (built for another runtime) as a failure too. */
function tryOpenRecorder(
  db: string | undefined,
  env: NodeJS.ProcessEnv,
  opts: WriterOptions = {},
): OpenRecorderResult {
  try {
    return openRecorder(db, env, opts)
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
    const hint = /NODE_MODULE_VERSION|different Node\.js version/.test(message)
      ? ' (better-sqlite3 is built for another runtime: run `npx electron-builder install-app-deps` for the desktop app, `npm rebuild better-sqlite3` for Node)'
      : ''
    return {
      ok: false,
      path: resolveDbPath(db, { env }),
      failure: { code: 'INTERNAL', message: `${message}${hint}`, dropped_rows: 0 },
    }
  }
}
