/**
 * One JSON document kept as a row of the history database's `meta` table (alert rules, flow
 * export settings): survives restarts without a table of its own. The database opens on first
 * use; a row that no longer parses reads as absent.
 */
import type { z } from 'zod'
import { openHistoryDb, type Db } from '../shared/store'

export class MetaJsonRow<T> {
  private db: Db | null = null

  constructor(
    private readonly path: string,
    private readonly key: string,
    private readonly schema: z.ZodType<T, unknown>,
  ) {}

  load(): T | null {
    const row = this.open()
      .prepare('SELECT value FROM meta WHERE key = ?')
      .pluck()
      .get(this.key) as string | undefined
    if (row === undefined) return null
    try {
      const parsed = this.schema.safeParse(JSON.parse(row))
      return parsed.success ? parsed.data : null
    } catch {
      return null
    }
  }

  save(value: T): void {
    this.open()
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(this.key, JSON.stringify(value))
  }

  close(): void {
    this.db?.close()
    this.db = null
  }

  private open(): Db {
    return (this.db ??= openHistoryDb(this.path))
  }
}
