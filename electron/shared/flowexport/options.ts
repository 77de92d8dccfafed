/**
 * What the exporter is told: plain data, so it crosses the host <-> capture worker protocol as
 * is, and a serve / desktop setting (a list of collector URLs, on or off) maps onto it with
 * parseCollectorUrl.
 */
import type { ExportProtocol } from './encoder'

export interface CollectorSpec {
  protocol: ExportProtocol
  transport: 'udp' | 'tcp'
  host: string
  port: number
  /** The URL as given, for messages and statistics. */
  url: string
}

export interface FlowExportOptions {
  collectors: CollectorSpec[]
  /** A direction with packets for this long is reported and restarted (default 60 s). */
  activeTimeoutS?: number
  /** A direction without packets for this long is reported and ended (default 15 s). */
  idleTimeoutS?: number
  /** IPFIX observation domain id / NetFlow v9 source id (default 0). */
  domainId?: number
  /** UDP: resend templates after this long or this many messages (defaults 600 s, 20). */
  templateRefreshS?: number
  templateRefreshMessages?: number
  /** Path MTU towards the collectors (default 1500): messages stay within one datagram. */
  mtu?: number
  /** ingressInterface / INPUT_SNMP: the capture interface's index (default 0). */
  ingressInterface?: number
  /** Messages queued or in flight per collector before new ones are dropped (default 512). */
  maxQueue?: number
}

export const DEFAULT_ACTIVE_TIMEOUT_S = 60
export const DEFAULT_IDLE_TIMEOUT_S = 15
export const DEFAULT_TEMPLATE_REFRESH_S = 600
export const DEFAULT_TEMPLATE_REFRESH_MESSAGES = 20
export const DEFAULT_MTU = 1500
export const DEFAULT_MAX_QUEUE = 512
/** IPv6 (40) + UDP (8) headers: a message of MTU - 48 bytes never fragments. */
export const IP_UDP_OVERHEAD = 48

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: string; message: string }

const SCHEMES: Record<
  string,
  { protocol: ExportProtocol; transport: 'udp' | 'tcp'; port: number }
> = {
  'ipfix:': { protocol: 'ipfix', transport: 'udp', port: 4739 },
  'ipfix+udp:': { protocol: 'ipfix', transport: 'udp', port: 4739 },
  'ipfix+tcp:': { protocol: 'ipfix', transport: 'tcp', port: 4739 },
  'netflow9:': { protocol: 'netflow9', transport: 'udp', port: 2055 },
  'netflow9+udp:': { protocol: 'netflow9', transport: 'udp', port: 2055 },
}

const bad = (message: string): Parsed<never> => ({ ok: false, code: 'BAD_COLLECTOR_URL', message })

/** ipfix://HOST[:PORT], ipfix+tcp://..., netflow9://... (IPv6 hosts in brackets). */
export function parseCollectorUrl(text: string): Parsed<CollectorSpec> {
  const hint = 'expected ipfix://HOST:PORT, ipfix+tcp://HOST:PORT or netflow9://HOST:PORT'
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return bad(`'${text}' is not a collector URL: ${hint}`)
  }
  const scheme = SCHEMES[u.protocol]
  if (!scheme) return bad(`'${text}': unknown scheme '${u.protocol.slice(0, -1)}': ${hint}`)
  if (u.username || u.password || (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash)
    return bad(`'${text}': only a host and a port are allowed: ${hint}`)
  let host = u.hostname
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host === '') return bad(`'${text}': no host: ${hint}`)
  const port = u.port === '' ? scheme.port : Number(u.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return bad(`'${text}': port must be 1 to 65535`)
  return { ok: true, value: { ...scheme, host, port, url: text } }
}

/** Checks numeric options (timeouts, domain id, MTU); a collector list from parseCollectorUrl. */
export function checkExportOptions(o: FlowExportOptions): Parsed<FlowExportOptions> {
  const num = (name: string, v: number | undefined, min: number, max: number): string | null =>
    v === undefined || (Number.isFinite(v) && v >= min && v <= max)
      ? null
      : `${name} must be from ${min} to ${max}, got ${String(v)}`
  const err =
    num('active timeout', o.activeTimeoutS, 1, 86400) ??
    num('idle timeout', o.idleTimeoutS, 1, 86400) ??
    (o.domainId !== undefined && !Number.isInteger(o.domainId)
      ? `domain id must be a whole number, got ${o.domainId}`
      : num('domain id', o.domainId, 0, 4294967295)) ??
    num('MTU', o.mtu, 576, 65535) ??
    num('template refresh', o.templateRefreshS, 0, 86400) ??
    num('template refresh messages', o.templateRefreshMessages, 0, 1e9) ??
    num('queue', o.maxQueue, 1, 1e6)
  if (err) return { ok: false, code: 'BAD_EXPORT_OPTION', message: err }
  if (o.collectors.length === 0)
    return { ok: false, code: 'BAD_EXPORT_OPTION', message: 'no collector given' }
  return { ok: true, value: o }
}
