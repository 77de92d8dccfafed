/**
 * Alert rules kept in the history database, as one JSON row of its `meta` table (key
 * 'alerts.config'), so they survive restarts without a table of their own. A store that cannot be
 * opened leaves the rules in memory only.
 */
import { AlertConfig } from '../../../common/alerts'
import { MetaJsonRow } from '../meta-row'

export interface RulesStore {
  load(): AlertConfig | null
  save(config: AlertConfig): void
  close(): void
}

export class SqliteRulesStore extends MetaJsonRow<AlertConfig> implements RulesStore {
  constructor(path: string) {
    super(path, 'alerts.config', AlertConfig)
  }
}
