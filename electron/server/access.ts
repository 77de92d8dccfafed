/**
 * Who may talk to serve mode. The API needs the random token from the printed URL; every
 * request's Host must be a name that can't be rebound by DNS (an IP literal, localhost or this
 * machine's name), and a WebSocket's Origin must be this very server.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { hostname } from 'node:os'

export const newToken = (): string => randomBytes(24).toString('base64url')

export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Splits a Host header value into hostname and port ('[::1]:7878' -> '::1', '7878'). */
export function parseHost(host: string | undefined): { name: string; port: string } | null {
  if (!host) return null
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host)
  if (!m) return null
  return { name: (m[1] ?? m[2] ?? '').toLowerCase(), port: m[3] ?? '80' }
}

export function hostAllowed(
  host: string | undefined,
  port: number,
  extraNames: string[] = [],
): boolean {
  const parsed = parseHost(host)
  if (!parsed || parsed.port !== String(port)) return false
  const { name } = parsed
  return (
    isIP(name) !== 0 ||
    name === 'localhost' ||
    name === hostname().toLowerCase() ||
    extraNames.includes(name)
  )
}

/** The Origin a page served by us sends: exactly http://<the Host it used>. */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  return origin !== undefined && host !== undefined && origin === `http://${host}`
}

export const isLoopback = (address: string): boolean =>
  address === 'localhost' || address === '::1' || /^127\./.test(address)
