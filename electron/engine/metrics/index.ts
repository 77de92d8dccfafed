/**
 * The Prometheus exposition of one engine (`/metrics`): interfaces (node_exporter's netdev names,
 * `flowscope_` prefix), capture health, probes (blackbox_exporter's names) and firing alerts
 * (like Prometheus's ALERTS). A registry of its own: nothing global, so two engines in one
 * process (tests) never share series. Names and labels: docs/alerts.md.
 */
import { Registry } from 'prom-client'
import { version } from '../../../package.json'
import type { EventBus } from '../events'
import { registerCapture } from './capture'
import { Collected } from './collected'
import { registerFlowExport } from './flowexport'
import { registerNetdev, type CountersSource } from './netdev'
import { registerProbes } from './probes'

export interface MetricsSources {
  events: EventBus
  /** The kernel counters the Monitor read on its last tick. */
  counters: CountersSource
  /** Labels of every firing alert. */
  firing?: () => Array<Record<string, string>>
}

export interface Metrics {
  readonly contentType: string
  /** The exposition text. */
  text(): Promise<string>
  close(): void
}

export function createMetrics(src: MetricsSources): Metrics {
  const registry = new Registry()
  registerNetdev(registry, src.counters)
  const offs = [
    registerCapture(registry, src.events),
    registerProbes(registry, src.events),
    registerFlowExport(registry, src.events),
  ]
  new Collected(
    'flowscope_alert_firing',
    'One series per firing alert (like Prometheus ALERTS{alertstate="firing"}), value 1.',
    'gauge',
    () =>
      (src.firing?.() ?? []).map((l) => {
        // `instance` is the scrape target's own label in Prometheus; a copy would be renamed.
        const { instance: _instance, ...labels } = l
        return { labels, value: 1 }
      }),
  ).register(registry)
  new Collected('flowscope_build_info', 'Flowscope version, value 1.', 'gauge', () => [
    { labels: { version }, value: 1 },
  ]).register(registry)
  return {
    contentType: registry.contentType,
    text: () => registry.metrics(),
    close: () => offs.forEach((off) => off()),
  }
}
