/**
 * IP addresses as numbers for range tables: an IPv4 address as one unsigned 32-bit word, an IPv6
 * address as four (most significant first). IPv4-mapped IPv6 (::ffff:a.b.c.d) is read as IPv4,
 * since that is what a dual-stack socket carries.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { formatIPv4, formatIPv6 } from '../decode/address'

export type ParsedIp = { v: 4; n: number } | { v: 6; w: Uint32Array }

export function parseIpv4(s: string): number | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null
    const o = Number(p)
    if (o > 255) return null
    n = n * 256 + o
  }
  return n
}

/** The 8 groups of an IPv6 address (with :: expanded and a trailing dotted quad folded in). */
function groups6(s: string): number[] | null {
  if (!isIPv6(s)) return null
  let text = s.replace(/%.*$/, '')
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const v4 = parseIpv4(dotted[1]!)
    if (v4 === null) return null
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const h = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16))
  const r = rest === undefined || rest === '' ? [] : rest.split(':').map((g) => parseInt(g, 16))
  const fill = rest === undefined ? 0 : 8 - h.length - r.length
  const all = [...h, ...new Array<number>(Math.max(0, fill)).fill(0), ...r]
  return all.length === 8 ? all : null
}

export function parseIp(s: string): ParsedIp | null {
  if (isIPv4(s)) return { v: 4, n: parseIpv4(s)! }
  const g = groups6(s)
  if (!g) return null
  const w = new Uint32Array(4)
  for (let i = 0; i < 4; i++) w[i] = ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0
  // ::ffff:a.b.c.d is an IPv4 peer of a dual-stack socket.
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { v: 4, n: w[3]! }
  return { v: 6, w }
}

/** Canonical text form (RFC 5952 style, as Node prints), IPv4-mapped folded to IPv4. */
export function canonicalIp(s: string): string {
  const p = parseIp(s)
  if (!p) return s
  // parseIp already folded ::ffff:a.b.c.d to v4, so formatIPv6 never sees a mapped address here.
  return p.v === 4 ? formatIPv4(p.n) : formatIPv6(p.w)
}

/** Compares two IPv6 addresses as 128-bit numbers. */
export function compare6(a: Uint32Array, ai: number, b: Uint32Array, bi = 0): number {
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k]!
    const y = b[bi + k]!
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}
