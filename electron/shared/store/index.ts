/** The history store: open, record, roll up, query, export. See docs/history.md. */
export { StoreError, describeFailure, failureCode } from './errors'
export { writeCsv, writeJson, neutraliseCell, exportHistory, type ExportFormat } from './export'
export { openHistoryDb, inspectDb, migrate, type Db } from './open'
export { defaultDbPath, resolveDbPath } from './paths'
export { queryProbes, queryAlerts, probeRow } from './probe-queries'
export { planQuery, planSegments, iterateHistory, queryHistory, COLUMNS } from './queries'
export { Recorder, conversationKey } from './recorder'
export { openRecorder, type OpenRecorderResult } from './recording'
export { maintain, readWatermarks, readPrunedBelow } from './rollup'
export { rebuildDerivedSeries, DERIVED } from './derived-series'
export { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema'
export {
  DEFAULT_KIND_RETENTION,
  DEFAULT_RETENTION,
  RETENTION_KINDS,
  STEPS,
  STEP_S,
  bucketStart,
  kindRetention,
  mergeRetention,
  parseRetentionSpec,
  type KindRetention,
  type Retention,
  type RetentionKind,
} from './tiers'
export { RETENTION_FLAGS, RETENTION_USAGE, retentionFromFlags } from './retention-flags'
export { isoMicros, parseTime, TimeParseError } from './time'
export {
  HistoryWriter,
  type AlertEvent,
  type ConversationDelta,
  type ConversationTotals,
  type InterfaceDelta,
  type ProbeSample,
  type WriterOptions,
} from './writer'
