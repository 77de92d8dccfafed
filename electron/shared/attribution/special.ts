/**
 * Special-purpose address ranges (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890
 * and successors). An address in one of them is labelled and never looked up in the country or
 * AS tables: those describe the public Internet, and a private address has no country.
 */
import { parseIp, parseIpv4 } from './ip'

export type SpecialRange =
  | 'unspecified'
  | 'this-network'
  | 'private'
  | 'cgnat'
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'unique-local'
  | 'nat64'

interface V4Range {
  base: number
  mask: number
  label: SpecialRange
}

function v4(cidr: string, label: SpecialRange): V4Range {
  const [a, bits] = cidr.split('/') as [string, string]
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0
  return { base: (parseIpv4(a)! & mask) >>> 0, mask, label }
}

/** Most specific first: the first match wins. */
const V4: V4Range[] = [
  v4('0.0.0.0/32', 'unspecified'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/8', 'this-network'),
  v4('10.0.0.0/8', 'private'),
  v4('172.16.0.0/12', 'private'),
  v4('192.168.0.0/16', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('192.0.2.0/24', 'documentation'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  v4('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
]

interface V6Range {
  words: [number, number, number, number]
  bits: number
  label: SpecialRange
}

function v6(cidr: string, label: SpecialRange): V6Range {
  const [a, bits] = cidr.split('/') as [string, string]
  const p = parseIp(a)
  if (!p || p.v !== 6) throw new Error(`bad IPv6 range ${cidr}`)
  return { words: [p.w[0]!, p.w[1]!, p.w[2]!, p.w[3]!], bits: Number(bits), label }
}

const V6: V6Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('64:ff9b::/96', 'nat64'),
  v6('64:ff9b:1::/48', 'nat64'),
  v6('2001:db8::/32', 'documentation'),
  v6('3fff::/20', 'documentation'),
  v6('2001:2::/48', 'benchmarking'),
  v6('fc00::/7', 'unique-local'),
  v6('fe80::/10', 'link-local'),
  v6('ff00::/8', 'multicast'),
]

/** Global unicast; whatever else is still unlisted (::/8, 100::/64, fec0::/10...) is reserved. */
const GLOBAL_UNICAST = v6('2000::/3', 'reserved')

function inPrefix(w: Uint32Array, r: V6Range): boolean {
  let left = r.bits
  for (let i = 0; i < 4 && left > 0; i++) {
    const take = Math.min(32, left)
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0
    if ((w[i]! & mask) >>> 0 !== (r.words[i]! & mask) >>> 0) return false
    left -= take
  }
  return true
}

export function specialV4(n: number): SpecialRange | null {
  for (const r of V4) if ((n & r.mask) >>> 0 === r.base) return r.label
  return null
}

export function specialV6(w: Uint32Array): SpecialRange | null {
  for (const r of V6) if (inPrefix(w, r)) return r.label
  return inPrefix(w, GLOBAL_UNICAST) ? null : 'reserved'
}

/** The special range an address belongs to, or null for a public (globally routed) address. */
export function specialRange(address: string): SpecialRange | null {
  const p = parseIp(address)
  if (!p) return 'reserved'
  return p.v === 4 ? specialV4(p.n) : specialV6(p.w)
}
