/**
 * Limits of active probing, fixed for the life of the process (a CLI flag: `serve
 * --max-probe-rate N`, `probe --max-rate N`), never changed over the API: a total probe rate,
 * and how many probes of each kind may be in flight at once. Refusals name the limit.
 */
import type { ProbeKind, ProbeSpec } from '../../../common/probes'
import type { ConcurrencyLimits } from '../../shared/protocol/probe'

/** Probes per second over all targets, unless the process was started with another cap. */
export const DEFAULT_MAX_PROBE_RATE = 2000

/**
 * In flight at once: connection-based kinds (tcp, http, https) hold sockets and file
 * descriptors for up to their timeout, so they get less room than datagram kinds.
 */
export const DEFAULT_CONCURRENCY: ConcurrencyLimits = {
  total: 512,
  per_kind: { icmp: 256, udp: 256, dns: 128, tcp: 64, http: 32, https: 32 } satisfies Record<
    ProbeKind,
    number
  >,
}

/** Probes per second a set of specs asks for. */
export const probeRate = (specs: readonly Pick<ProbeSpec, 'interval_ms'>[]): number =>
  specs.reduce((sum, s) => sum + 1000 / s.interval_ms, 0)

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Why these specs are refused (naming the limit), or null when they are within it. */
export function probeLimitError(
  specs: readonly Pick<ProbeSpec, 'interval_ms'>[],
  maxRate: number,
): string | null {
  const rate = probeRate(specs)
  if (rate <= maxRate * (1 + 1e-9)) return null
  return `probe rate limit: ${specs.length} ${specs.length === 1 ? 'target asks' : 'targets ask'} for ${fmt(rate)} probes/s, over this process's limit of ${fmt(maxRate)} probes/s (set when it starts: serve --max-probe-rate, probe --max-rate)`
}
