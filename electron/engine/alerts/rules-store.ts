/**
 * Alert rules kept in the history database, as one JSON row of its `meta` table (key
 * 'alerts.config'), so they survive restarts without a table of their own. A store that cannot be
 * opened leaves the rules in memory only.
 */
import { AlertConfig } from '../../../common/alerts'
import { openHistoryDb, type Db } from '../../shared/store'

const KEY = 'alerts.config'

export interface RulesStore {
  load(): AlertConfig | null
  save(config: AlertConfig): void
  close(): void
}

export class SqliteRulesStore implements RulesStore {
  private db: Db | null = null

  constructor(private readonly path: string) {}

  load(): AlertConfig | null {
    const row = this.open().prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as
      string | undefined
    if (row === undefined) return null
    try {
      const parsed = AlertConfig.safeParse(JSON.parse(row))
      return parsed.success ? parsed.data : null
    } catch {
      return null
    }
  }

  save(config: AlertConfig): void {
    this.open()
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(KEY, JSON.stringify(config))
  }

  close(): void {
    this.db?.close()
    this.db = null
  }

  private open(): Db {
    return (this.db ??= openHistoryDb(this.path))
  }
}
