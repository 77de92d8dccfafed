/** The --export flags shared by `flowscope analyze` and `flowscope capture`. */
import type { Aggregator } from '../shared/flows/aggregator'
import { FlowExporter } from '../shared/flowexport/exporter'
import {
  checkExportOptions,
  parseCollectorUrl,
  type FlowExportOptions,
} from '../shared/flowexport/options'
import { UsageError, type CliIo } from './io'

export const exportFlags = {
  export: { type: 'string', multiple: true },
  'export-active-timeout': { type: 'string' },
  'export-idle-timeout': { type: 'string' },
  'export-domain-id': { type: 'string' },
} as const

export const exportUsage = `  --export URL           also export flows to a collector: ipfix://HOST[:PORT] (UDP, default
                         port 4739), ipfix+tcp://HOST[:PORT] or netflow9://HOST[:PORT] (UDP, 2055);
                         repeat for several collectors. One record per flow direction, bytes at
                         the IP layer (see docs/flow-export.md)
  --export-active-timeout SECONDS  report long flows every SECONDS (default 60)
  --export-idle-timeout SECONDS    end a flow direction idle this long (default 15)
  --export-domain-id N   IPFIX observation domain id / NetFlow v9 source id (default 0)`

interface ExportValues {
  export?: string[]
  'export-active-timeout'?: string
  'export-idle-timeout'?: string
  'export-domain-id'?: string
}

/** The exporter options from the flags, null without --export; bad values are a UsageError. */
export function exportOptionsFrom(
  command: string,
  v: ExportValues,
  ingressInterface = 0,
): FlowExportOptions | null {
  const urls = v.export ?? []
  const extra = ['export-active-timeout', 'export-idle-timeout', 'export-domain-id'] as const
  if (urls.length === 0) {
    const stray = extra.find((k) => v[k] !== undefined)
    if (stray) throw new UsageError(`${command}: --${stray} needs --export URL`)
    return null
  }
  const collectors = urls.map((u) => {
    const p = parseCollectorUrl(u)
    if (!p.ok) throw new UsageError(`${command}: --export ${p.message}`)
    return p.value
  })
  const num = (k: (typeof extra)[number]) => {
    const text = v[k]
    if (text === undefined) return undefined
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${command}: --${k} must be a number, got '${text}'`)
    return n
  }
  const opts: FlowExportOptions = { collectors, ingressInterface }
  const active = num('export-active-timeout')
  const idle = num('export-idle-timeout')
  const domain = num('export-domain-id')
  if (active !== undefined) opts.activeTimeoutS = active
  if (idle !== undefined) opts.idleTimeoutS = idle
  if (domain !== undefined) opts.domainId = domain
  const checked = checkExportOptions(opts)
  if (!checked.ok) throw new UsageError(`${command}: --export: ${checked.message}`)
  return opts
}

export { interfaceIndex } from '../shared/flowexport/ifindex'

/** Starts exporting the aggregator's flows; returns the exporter, or null without --export. */
export function startExport(
  opts: FlowExportOptions | null,
  aggregator: Aggregator,
): FlowExporter | null {
  if (!opts) return null
  const exporter = new FlowExporter(opts)
  aggregator.attachExport(exporter)
  return exporter
}

/** Flushes every flow, waits briefly for the messages to leave, prints the export statistics. */
export async function finishExport(
  exporter: FlowExporter | null,
  aggregator: Aggregator,
  io: CliIo,
): Promise<void> {
  if (!exporter) return
  aggregator.finishExport()
  await exporter.close(5000)
  const s = exporter.stats()
  for (const c of s.collectors) {
    io.stderr.write(
      `export: ${c.url}: ${c.records.toLocaleString('en-US')} records in ${c.messagesSent.toLocaleString('en-US')} messages, ${c.sendErrors} send errors, ${c.dropped} dropped${c.lastError ? ` (last error ${c.lastError})` : ''}\n`,
    )
  }
}
