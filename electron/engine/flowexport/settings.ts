/**
 * The serve / desktop flow export setting (contract FlowExportSettings) checked with the same
 * parsers as the CLI's --export, and mapped to the exporter's plain options. Errors name the
 * field: `collectors[1]: 'x://h' unknown scheme ...`, `idle_timeout_s: must be from 1 to 86400`.
 */
import type { FlowExportSettings } from '../../../common/contract'
import {
  checkExportOptions,
  DEFAULT_ACTIVE_TIMEOUT_S,
  DEFAULT_IDLE_TIMEOUT_S,
  parseCollectorUrl,
  type CollectorSpec,
  type FlowExportOptions,
  type Parsed,
} from '../../shared/flowexport/options'

export const DEFAULT_EXPORT_SETTINGS: FlowExportSettings = {
  enabled: false,
  collectors: [],
  active_timeout_s: DEFAULT_ACTIVE_TIMEOUT_S,
  idle_timeout_s: DEFAULT_IDLE_TIMEOUT_S,
  domain_id: 0,
}

const bad = (field: string, message: string): Parsed<never> => ({
  ok: false,
  code: 'BAD_REQUEST',
  message: `${field}: ${message}`,
})

/**
 * The exporter options for these settings (collectors parsed even when disabled, so nothing
 * unusable is ever stored), or the first bad field.
 */
export function checkSettings(s: FlowExportSettings): Parsed<FlowExportOptions> {
  const collectors: CollectorSpec[] = []
  const seen = new Set<string>()
  for (const [i, url] of s.collectors.entries()) {
    const p = parseCollectorUrl(url)
    if (!p.ok) return bad(`collectors[${i}]`, p.message)
    const key = `${p.value.protocol}|${p.value.transport}|${p.value.host}|${p.value.port}`
    if (seen.has(key)) return bad(`collectors[${i}]`, `'${url}' is already in the list`)
    seen.add(key)
    collectors.push(p.value)
  }
  const fields = [
    ['active_timeout_s', { activeTimeoutS: s.active_timeout_s }],
    ['idle_timeout_s', { idleTimeoutS: s.idle_timeout_s }],
    ['domain_id', { domainId: s.domain_id }],
  ] as const
  // One field at a time, so the message names the one that is wrong.
  const probe = collectors[0] ?? {
    protocol: 'ipfix',
    transport: 'udp',
    host: 'x',
    port: 1,
    url: '',
  }
  for (const [field, o] of fields) {
    const c = checkExportOptions({ collectors: [probe], ...o })
    if (!c.ok) return bad(field, c.message)
  }
  if (s.enabled && collectors.length === 0)
    return bad('collectors', 'at least one collector is needed to turn export on')
  return {
    ok: true,
    value: {
      collectors,
      activeTimeoutS: s.active_timeout_s,
      idleTimeoutS: s.idle_timeout_s,
      domainId: s.domain_id,
    },
  }
}
