/**
 * History for the engine's faces: records what the Monitor publishes into the SQLite store, answers
 * range queries, and hands out one-time export tickets that a transport turns into a streamed
 * download (serve mode: HTTP; desktop: a custom protocol). Store failures become events, and the
 * engine goes on in memory.
 */
import { randomBytes } from 'node:crypto'
import type {
  HistoryQuery,
  HistoryResult,
  ProbeHistoryQuery,
  StoreFailure,
} from '../../common/history'
import type { HistoryStatus } from '../../common/contract'
import { EngineError } from './api'
import type { EventBus } from './events'
import type { ProbeAggregate } from './probes/aggregate'
import type { FlowDelta } from '../shared/capture/pipeline'
import {
  exportHistory,
  openHistoryDb,
  openRecorder,
  queryHistory,
  queryProbes,
  resolveDbPath,
  type AlertEvent,
  type Db,
  type ExportFormat,
  type OpenRecorderResult,
  type Recorder,
} from '../shared/store'

/** An export waiting for its download; tickets are single-use and short-lived. */
interface Ticket {
  query: HistoryQuery
  format: ExportFormat
  filename: string
  expires_ms: number
}

const TICKET_TTL_MS = 60_000

export interface Download {
  filename: string
  contentType: string
  /** Streams the export into `out` (does not end it). */
  write(out: NodeJS.WritableStream): Promise<void>
}

export class History {
  readonly path: string
  private recorder: Recorder | null = null
  private readDb: Db | null = null
  private failure: StoreFailure | null = null
  private readonly tickets = new Map<string, Ticket>()
  private readonly offs: Array<() => void> = []

  /** `db`: --db value (undefined: $FLOWSCOPE_DB or the data directory); `record`: false for --no-store. */
  constructor(
    private readonly events: EventBus,
    db: string | undefined,
    env: NodeJS.ProcessEnv,
    record: boolean,
  ) {
    const opened = tryOpenRecorder(db, env)
    this.path = opened.path
    if (!record) return
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

  query(q: HistoryQuery): HistoryResult {
    return queryHistory(this.db(), q, 20_000)
  }

  probes(q: ProbeHistoryQuery): ReturnType<typeof queryProbes> {
    return queryProbes(this.db(), q)
  }

  /** Reserves an export of `q`; the transport streams it when the ticket is redeemed. */
  exportTicket(q: HistoryQuery, format: ExportFormat): { ticket: string; filename: string } {
    this.db() // fail now, as data, if there is nothing to export from
    const now = Date.now()
    for (const [id, t] of this.tickets) if (t.expires_ms < now) this.tickets.delete(id)
    const ticket = randomBytes(18).toString('base64url')
    const stamp = new Date(q.from_s * 1000).toISOString().slice(0, 16).replace(/[:T]/g, '-')
    const filename = `flowscope-${q.by}-${stamp}.${format}`
    this.tickets.set(ticket, { query: q, format, filename, expires_ms: now + TICKET_TTL_MS })
    return { ticket, filename }
  }

  /** Takes a ticket (once) and returns the download it stands for, or null. */
  redeem(ticket: string): Download | null {
    const t = this.tickets.get(ticket)
    this.tickets.delete(ticket)
    if (!t || t.expires_ms < Date.now()) return null
    return {
      filename: t.filename,
      contentType: t.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
      write: async (out) => {
        await exportHistory(this.db(), t.query, t.format, out)
      },
    }
  }

  close(): void {
    this.offs.forEach((off) => off())
    this.recorder?.writer.close()
    this.recorder = null
    this.readDb?.close()
    this.readDb = null
  }

  private db(): Db {
    if (this.readDb) return this.readDb
    try {
      this.readDb = openHistoryDb(this.path, { readonly: true })
      return this.readDb
    } catch (err) {
      throw new EngineError('NOT_FOUND', err instanceof Error ? err.message : String(err))
    }
  }

  private fail(f: StoreFailure): void {
    this.failure = f
    this.events.emit('history.failure', f)
  }
}

/** openRecorder, with a native module that won't load (built for another runtime) as a failure too. */
function tryOpenRecorder(db: string | undefined, env: NodeJS.ProcessEnv): OpenRecorderResult {
  try {
    return openRecorder(db, env)
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
