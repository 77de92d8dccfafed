import type { ProbeKind } from '../../../common/probes'

/** A probe target URL, checked and split into what its prober needs. */
export type ProbeTarget =
  | { url: string; kind: 'icmp'; host: string }
  | { url: string; kind: 'tcp' | 'udp'; host: string; port: number }
  | { url: string; kind: 'dns'; host: string; port: number; name: string; qtype: DnsType }
  | { url: string; kind: 'http' | 'https'; host: string; port: number; href: string }

export const DNS_TYPES = [
  'A',
  'AAAA',
  'CNAME',
  'MX',
  'NS',
  'PTR',
  'SOA',
  'SRV',
  'TXT',
  'CAA',
] as const
export type DnsType = (typeof DNS_TYPES)[number]

/** A target the user wrote wrong; the message is one line that says what is expected. */
export class ProbeTargetError extends Error {
  override name = 'ProbeTargetError'
}

const FORMS: Record<ProbeKind, string> = {
  icmp: 'icmp://HOST',
  tcp: 'tcp://HOST:PORT',
  udp: 'udp://HOST:PORT',
  dns: 'dns://SERVER[:PORT]/NAME[?type=A]',
  http: 'http://HOST[:PORT]/PATH',
  https: 'https://HOST[:PORT]/PATH',
}

/** Parses `icmp://`, `tcp://`, `udp://`, `dns://`, `http://` and `https://` targets. */
export function parseProbeTarget(raw: string): ProbeTarget {
  const bad = (why: string): never => {
    throw new ProbeTargetError(`bad probe target '${raw}': ${why}`)
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase()
  if (!scheme) bad(`expected one of ${Object.values(FORMS).join(', ')}`)
  if (!(scheme! in FORMS)) bad(`unknown kind '${scheme}' (icmp, tcp, udp, dns, http or https)`)
  const kind = scheme as ProbeKind
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return bad(`not a valid URL (expected ${FORMS[kind]})`)
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) bad(`missing host (expected ${FORMS[kind]})`)
  if (u.username || u.password) bad('credentials are not allowed in a probe target')
  const port = u.port === '' ? null : Number(u.port)
  if (port === 0) bad('port 0 is not a valid destination')
  const noPath = () => {
    if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash)
      bad(`unexpected path or query (expected ${FORMS[kind]})`)
  }

  switch (kind) {
    case 'icmp':
      if (port !== null) bad('icmp:// takes no port (expected icmp://HOST)')
      noPath()
      return { url: raw, kind, host }
    case 'tcp':
    case 'udp':
      if (port === null) bad(`missing port (expected ${FORMS[kind]})`)
      noPath()
      return { url: raw, kind, host, port: port! }
    case 'dns': {
      const name = decodeURIComponent(u.pathname.replace(/^\//, '')).replace(/\.$/, '')
      if (!name) bad(`missing the name to query (expected ${FORMS.dns})`)
      if (
        name.includes('/') ||
        name.length > 253 ||
        name.split('.').some((l) => l.length === 0 || l.length > 63)
      ) {
        bad(`'${name}' is not a valid DNS name`)
      }
      if (u.hash) bad('unexpected #fragment')
      const params = [...u.searchParams.keys()]
      const unknown = params.find((k) => k !== 'type')
      if (unknown) bad(`unknown query parameter '${unknown}' (only ?type=)`)
      const qtype = (u.searchParams.get('type') ?? 'A').toUpperCase()
      if (!(DNS_TYPES as readonly string[]).includes(qtype))
        bad(`unknown DNS type '${qtype}' (${DNS_TYPES.join(', ')})`)
      return { url: raw, kind, host, port: port ?? 53, name, qtype: qtype as DnsType }
    }
    case 'http':
    case 'https':
      return { url: raw, kind, host, port: port ?? (kind === 'https' ? 443 : 80), href: u.href }
  }
}
