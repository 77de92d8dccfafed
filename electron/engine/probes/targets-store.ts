/**
 * The Probes page's target list, kept between runs as one JSON row of the history database's
 * `meta` table (key 'probes.targets'), as the alert rules are (../alerts/rules-store.ts). Without a
 * database (--no-store) or when it cannot be opened, the list lives in memory for this session.
 * The row is tiny, so reading and writing it on the engine's loop costs microseconds.
 */
import { ProbeTargetList } from '../../../common/contract'
import { openHistoryDb, type Db } from '../../shared/store'

const KEY = 'probes.targets'
const EMPTY: ProbeTargetList = { targets: [], interval_ms: 1000 }

export class ProbeTargetsStore {
  private db: Db | null = null
  private memory: ProbeTargetList | null = null

  /** `path`: the history database, or null for memory only. */
  constructor(private readonly path: () => string | null) {}

  get(): ProbeTargetList {
    if (this.memory) return this.memory
    const db = this.open()
    if (!db) return EMPTY
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as
      string | undefined
    if (row === undefined) return EMPTY
    try {
      const parsed = ProbeTargetList.safeParse(JSON.parse(row))
      return parsed.success ? parsed.data : EMPTY
    } catch {
      return EMPTY
    }
  }

  set(list: ProbeTargetList): ProbeTargetList {
    const db = this.open()
    if (!db) return (this.memory = list)
    db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(KEY, JSON.stringify(list))
    return list
  }

  close(): void {
    this.db?.close()
    this.db = null
  }

  private open(): Db | null {
    if (this.db) return this.db
    const path = this.path()
    if (!path) return null
    try {
      return (this.db = openHistoryDb(path))
    } catch {
      return null
    }
  }
}
