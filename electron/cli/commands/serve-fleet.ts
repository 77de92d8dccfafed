/**
 * serve's alerting and Prometheus options (--metrics, --metrics-token, --rules), kept beside
 * serve.ts so the command itself only wires them in. See docs/alerts.md.
 */
import type { AlertConfig } from '../../../common/alerts'
import { loadRulesFile, RulesFileError } from '../../engine/alerts/rules-file'
import { SqliteRulesStore } from '../../engine/alerts/rules-store'
import { createMetrics, type Metrics } from '../../engine/metrics'
import type { Monitor } from '../../engine/monitor'
import { isLoopback } from '../../server/access'
import { resolveDbPath } from '../../shared/store'
import { CliError, type CliIo } from '../io'

export const fleetOptions = {
  metrics: { type: 'boolean' },
  'metrics-token': { type: 'string' },
  rules: { type: 'string' },
} as const

export const fleetUsage = `  --metrics       serve Prometheus metrics at /metrics (no URL token needed; see docs/alerts.md)
  --metrics-token TOKEN
                   require \`Authorization: Bearer TOKEN\` to scrape (default $FLOWSCOPE_METRICS_TOKEN);
                   needed with --metrics on an address other than loopback (unless served over TLS)
  --rules FILE     alert rules and webhooks (YAML, docs/alerts.md); replaces the stored rules`

interface FleetValues {
  metrics?: boolean
  'metrics-token'?: string
  rules?: string
  db?: string
  'no-store'?: boolean
}

export interface Fleet {
  rules: AlertConfig | null
  token: string | null
  metrics: boolean
  /** Where the rules are kept (the history database), or null with --no-store. */
  store: SqliteRulesStore | null
}

/** Checks the options and reads the rules file before anything starts (exit 2 on a bad one). */
export async function prepareFleet(values: FleetValues, host: string, io: CliIo): Promise<Fleet> {
  const token = values['metrics-token'] ?? (io.env.FLOWSCOPE_METRICS_TOKEN || null)
  // TLS, where serve offers it (--tls-cert), also protects a scrape from the network.
  const tls = Boolean((values as Record<string, unknown>)['tls-cert'])
  if (values.metrics && !isLoopback(host) && !token && !tls)
    throw new CliError(
      `serve: --metrics on ${host} (not loopback) needs --metrics-token or TLS: anyone could read this machine's traffic figures`,
    )
  if (token !== null && !/^[\x21-\x7e]{16,4096}$/.test(token))
    throw new CliError('serve: --metrics-token must be 16 to 4096 printable characters, no spaces')
  let rules: AlertConfig | null = null
  if (values.rules !== undefined) {
    try {
      rules = await loadRulesFile(values.rules)
    } catch (err) {
      if (err instanceof RulesFileError) throw new CliError(`serve: --rules ${err.message}`)
      throw err
    }
  }
  const store = values['no-store']
    ? null
    : new SqliteRulesStore(resolveDbPath(values.db, { env: io.env }))
  return { rules, token, metrics: values.metrics === true, store }
}

/** Applies the rules file and builds the exposition; returns serve's `metrics` option. */
export function startFleet(
  fleet: Fleet,
  monitor: Monitor,
  io: CliIo,
): { metrics: Metrics; token: string | null } | undefined {
  if (fleet.rules) {
    try {
      monitor.alerts.setRules(fleet.rules)
    } catch (err) {
      io.stderr.write(`flowscope: ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }
  if (!fleet.metrics) return undefined
  const metrics = createMetrics({
    events: monitor.events,
    counters: () => monitor.lastCounters,
    firing: () => monitor.alerts.firing(),
  })
  return { metrics, token: fleet.token }
}
