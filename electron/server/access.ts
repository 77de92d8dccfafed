/**
 * Who may talk to serve mode. The API needs the random token from the printed URL; every
 * request's Host must be a name that can't be rebound by DNS (an IP literal, localhost or this
 * machine's name), and a WebSocket's Origin must be this very server.
 *
 * Everything here is total: any header value or request target, however malformed, gives an
 * answer (null / false), never an exception, because it runs before the caller is authenticated.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { hostname } from 'node:os'

export type Scheme = 'http' | 'https'

export const newToken = (): string => randomBytes(24).toString('base64url')

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Constant time in the secret: both sides are hashed to 32 bytes first, so neither the length
 * nor the first differing byte of the token shows in the time taken.
 */
export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false
  return timingSafeEqual(digest(expected), digest(given))
}

/** Splits a Host header value into hostname and port ('[::1]:7878' -> '::1', '7878'). */
export function parseHost(
  host: string | undefined | null,
  scheme: Scheme = 'http',
): { name: string; port: string } | null {
  if (!host || host.length > 300) return null
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(host)
  if (!m) return null
  const port = m[3] ?? (scheme === 'https' ? '443' : '80')
  return { name: (m[1] ?? m[2] ?? '').toLowerCase(), port: String(Number(port)) }
}

export function hostAllowed(
  host: string | undefined | null,
  port: number,
  extraNames: string[] = [],
  scheme: Scheme = 'http',
): boolean {
  const parsed = parseHost(host, scheme)
  if (!parsed || parsed.port !== String(port)) return false
  const { name } = parsed
  return (
    isIP(name) !== 0 ||
    name === 'localhost' ||
    name === hostname().toLowerCase() ||
    extraNames.includes(name)
  )
}

/** The Origin a page served by us sends: exactly <scheme>://<the Host it used>. */
export function originAllowed(
  origin: string | undefined | null,
  host: string | undefined | null,
  scheme: Scheme = 'http',
): boolean {
  return !!origin && !!host && origin === `${scheme}://${host}`
}

/**
 * The one value of a header, or null when it is missing or sent more than once. Node keeps the
 * first of duplicate Host headers and drops the rest; a request that disagrees with itself about
 * where it is going, or where it comes from, is refused instead.
 */
export function singleHeader(req: IncomingMessage, name: string): string | null {
  const values = req.headersDistinct[name]
  return values && values.length === 1 ? values[0]! : null
}

/** A request target (origin-form only: '/path?query'), split without decoding anything. */
export interface RequestTarget {
  path: string
  query: URLSearchParams
}

export const MAX_TARGET_CHARS = 4096

/**
 * Splits a request line's target into path and query, or null when it is not origin-form: '//[',
 * 'http://x/', '*', control characters. URLSearchParams leaves a bad %-escape as it is.
 */
export function parseTarget(url: string | undefined): RequestTarget | null {
  if (!url || url.length > MAX_TARGET_CHARS) return null
  if (!/^\/(?!\/)[\x21-\x7e]*$/.test(url)) return null
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const hash = path.indexOf('#')
  if (hash >= 0) return null
  return { path, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) }
}

/** The one value of a query parameter, or null when it is missing or repeated. */
export function singleParam(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name)
  return values.length === 1 ? values[0]! : null
}

export const isLoopback = (address: string): boolean =>
  address === 'localhost' ||
  address === '::1' ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) ||
  /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address)
