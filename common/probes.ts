/**
 * Active probes: the DTOs that cross the contract (probe worker → engine → IPC / WebSocket).
 * Pure TypeScript + zod. Times are milliseconds (numbers), timestamps ISO 8601 UTC.
 */
import { z } from 'zod'

export const ProbeKind = z.enum(['icmp', 'tcp', 'udp', 'dns', 'http', 'https'])
export type ProbeKind = z.infer<typeof ProbeKind>

/**
 * Phase durations of one probe. http/https: dns (lookup; 0 for an IP literal), connect (TCP
 * handshake), tls (https only), ttfb (request written → first response byte), total (start → end
 * of body). dns: query (send → matching answer).
 */
export const ProbePhases = z.record(z.string(), z.number().nonnegative())
export type ProbePhases = z.infer<typeof ProbePhases>

/**
 * Why a probe failed, in words an operator acts on: timeout (no answer in time), refused (the
 * port is closed: RST / ICMP port unreachable), unreachable (no route, host down), nxdomain (the
 * name does not resolve), reset (connection dropped mid-way), tls (handshake or certificate),
 * permission (no rights for the socket), other (see the raw `error`).
 */
export const ProbeErrorKind = z.enum([
  'timeout',
  'refused',
  'unreachable',
  'nxdomain',
  'reset',
  'tls',
  'permission',
  'other',
])
export type ProbeErrorKind = z.infer<typeof ProbeErrorKind>

/** The kind of a failed probe from its status and raw error code (Node errno or message). */
export function probeErrorKind(
  status: 'ok' | 'timeout' | 'error',
  error?: string,
): ProbeErrorKind | null {
  if (status === 'ok') return null
  if (status === 'timeout') return 'timeout'
  const e = (error ?? '').toUpperCase()
  if (e === 'ECONNREFUSED') return 'refused'
  if (/^(EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN|EADDRNOTAVAIL)$/.test(e)) return 'unreachable'
  if (/^(ENOTFOUND|EAI_NONAME|EAI_NODATA|EAI_AGAIN|ENODATA)$/.test(e) || e.includes('NXDOMAIN'))
    return 'nxdomain'
  if (/^(ECONNRESET|EPIPE|ECONNABORTED)$/.test(e)) return 'reset'
  if (e === 'ETIMEDOUT') return 'timeout'
  if (/^(EACCES|EPERM)$/.test(e)) return 'permission'
  if (/TLS|SSL|CERT|UNABLE_TO_VERIFY|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL/.test(e)) return 'tls'
  return 'other'
}

/** The outcome of one probe (one echo, connect, query or request). */
export const ProbeResult = z.object({
  /** The target URL as given, e.g. `udp://10.0.0.1:7`. */
  target: z.string(),
  kind: ProbeKind,
  /** 0-based send order within the target's run. */
  seq: z.number().int().nonnegative(),
  /** When the probe was sent (ISO 8601 UTC). */
  sent_at: z.string(),
  /** Round-trip (or connect / query / total request) time; null unless status is 'ok'. */
  rtt_ms: z.number().nonnegative().nullable(),
  /** 'timeout' and 'error' both count as loss; neither ever contributes an RTT. */
  status: z.enum(['ok', 'timeout', 'error']),
  phases_ms: ProbePhases.optional(),
  /** Why an 'error' happened (e.g. ECONNREFUSED, EHOSTUNREACH). */
  error: z.string().optional(),
  /** The failure's kind (probeErrorKind of status and error); absent when status is 'ok'. */
  error_kind: ProbeErrorKind.optional(),
})
export type ProbeResult = z.infer<typeof ProbeResult>

const nullableMs = z.number().nullable()

/** Statistics for one target over a set of results (a window or the whole run). */
export const ProbeStats = z.object({
  target: z.string(),
  kind: ProbeKind,
  /** Probes with an outcome (ok, timeout or error); probes still in flight are not counted. */
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  /** 100 * (sent - received) / sent; 0 when nothing was sent. */
  loss_pct: z.number().min(0).max(100),
  /** Over replies only; null when there are none. stddev is the sample (n - 1) deviation. */
  rtt_ms: z.object({
    min: nullableMs,
    avg: nullableMs,
    max: nullableMs,
    stddev: nullableMs,
    p50: nullableMs,
    p95: nullableMs,
    p99: nullableMs,
  }),
  /**
   * As mtr: mean and max of |RTT(n) - RTT(n-1)| over consecutive replies in send order (lost
   * probes are skipped, not treated as zero); rfc3550: J += (|D| - J) / 16 over the same pairs.
   */
  jitter_ms: z.object({ mean: nullableMs, max: nullableMs, rfc3550: nullableMs }),
  /** Mean of each phase over replies (http/https and dns only). */
  phases_ms: ProbePhases.optional(),
  /** Replies that came after their probe had timed out (udp/icmp/dns); not counted as received. */
  late: z.number().int().nonnegative(),
  /** Extra copies of a reply already counted (udp/icmp/dns). */
  duplicates: z.number().int().nonnegative(),
})
export type ProbeStats = z.infer<typeof ProbeStats>

/** Per-target statistics streamed to the UI: the last `window_n` probes and the whole run. */
export const ProbeTargetStats = z.object({
  target: z.string(),
  window_n: z.number().int().positive(),
  window: ProbeStats,
  run: ProbeStats,
})
export type ProbeTargetStats = z.infer<typeof ProbeTargetStats>

/** What to probe and how often (a request to start probing). */
export const ProbeSpec = z.object({
  target: z.string(),
  interval_ms: z.number().int().min(1).max(3_600_000),
  timeout_ms: z.number().int().min(1).max(60_000),
  /** Number of probes, or null to run until stopped. */
  count: z.number().int().positive().nullable(),
})
export type ProbeSpec = z.infer<typeof ProbeSpec>
