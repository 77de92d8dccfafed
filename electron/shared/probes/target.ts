import { isIP } from 'node:net'
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

/** Longer than any URL a probe needs (a DNS name is at most 253 bytes); parsing stops here. */
export const MAX_TARGET_CHARS = 2048

/** The target as an error message may show it: one line, no control characters, bounded. */
function shown(raw: string): string {
  const clipped = raw.length > 120 ? `${raw.slice(0, 120)}…` : raw
  // eslint-disable-next-line no-control-regex
  return clipped.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * Parses `icmp://`, `tcp://`, `udp://`, `dns://`, `http://` and `https://` targets. Total: any
 * string (or anything else arriving over an API) ends as a ProbeTarget or a ProbeTargetError.
 */
export function parseProbeTarget(raw: string): ProbeTarget {
  const bad = (why: string): never => {
    throw new ProbeTargetError(`bad probe target '${shown(String(raw))}': ${why}`)
  }
  if (typeof raw !== 'string') bad('expected a string')
  if (raw.length > MAX_TARGET_CHARS) bad(`longer than ${MAX_TARGET_CHARS} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(raw)) bad('contains spaces or control characters')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase()
  if (!scheme) bad(`expected one of ${Object.values(FORMS).join(', ')}`)
  if (!(scheme! in FORMS)) bad(`unknown kind '${scheme}' (icmp, tcp, udp, dns, http or https)`)
  const kind = scheme as ProbeKind
  // WHATWG URL would read 'https:///x' as host 'x'; a target with no host is a mistake.
  if (/^[/\\]/.test(raw.slice(scheme!.length + 3))) bad(`missing host (expected ${FORMS[kind]})`)
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return bad(`not a valid URL (expected ${FORMS[kind]})`)
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) bad(`missing host (expected ${FORMS[kind]})`)
  // tcp:, udp:, icmp: and dns: are not "special" schemes, so URL leaves their host opaque
  // ('h%ZZ' passes); only an IP literal or letters, digits, '-', '_' and dots get to a resolver.
  if (isIP(host) === 0 && (host.length > 253 || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(host)))
    bad(`'${shown(host)}' is not a valid host name`)
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
      let name = ''
      try {
        name = decodeURIComponent(u.pathname.replace(/^\//, '')).replace(/\.$/, '')
      } catch {
        bad(`bad %-escape in the name (expected ${FORMS.dns})`)
      }
      if (!name) bad(`missing the name to query (expected ${FORMS.dns})`)
      // Printable ASCII only: the name goes on the wire as is (no IDNA here) and into messages.
      if (!/^[\x21-\x7e]+$/.test(name)) bad(`'${shown(name)}' is not a valid DNS name`)
      if (
        name.includes('/') ||
        name.length > 253 ||
        name.split('.').some((l) => l.length === 0 || l.length > 63)
      ) {
        bad(`'${shown(name)}' is not a valid DNS name`)
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
