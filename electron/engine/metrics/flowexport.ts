/**
 * Flow export counters (IPFIX / NetFlow v9 from the live capture), monotonic across capture
 * restarts: each 'capture.tick' carries the running capture's cumulative export counts; only the
 * growth since the previous tick is added, and a new capture starts a new baseline.
 */
import type { Registry } from 'prom-client'
import type { ExportHealth } from '../../../common/contract'
import type { EventBus } from '../events'
import { Collected } from './collected'

const FIELDS = [
  [
    'records',
    'flowscope_flow_export_records_total',
    'Flow records exported (one per flow direction and report; each goes to every collector).',
  ],
  [
    'messages',
    'flowscope_flow_export_messages_total',
    'IPFIX / NetFlow v9 messages sent to the collectors.',
  ],
  [
    'send_errors',
    'flowscope_flow_export_send_errors_total',
    'Sends to a collector that failed (refused, unreachable, connection lost).',
  ],
  [
    'dropped',
    'flowscope_flow_export_dropped_total',
    "Messages dropped because a collector's queue was full or it was not connected.",
  ],
] as const
type Field = (typeof FIELDS)[number][0]

export function registerFlowExport(registry: Registry, events: EventBus): () => void {
  const totals: Record<Field, number> = { records: 0, messages: 0, send_errors: 0, dropped: 0 }
  let prev: ExportHealth | null = null
  const offs = [
    events.on('capture.state', () => {
      prev = null
    }),
    events.on('capture.tick', (t) => {
      const now = t.health?.export
      if (!now || t.file !== undefined) return
      for (const [f] of FIELDS) {
        const d = now[f] - (prev?.[f] ?? 0)
        totals[f] += d >= 0 ? d : now[f]
      }
      prev = now
    }),
  ]
  for (const [field, name, help] of FIELDS)
    new Collected(name, help, 'counter', () => [{ labels: {}, value: totals[field] }]).register(
      registry,
    )
  return () => offs.forEach((off) => off())
}
