/** `--retention-KIND SPEC` flags of `serve` and `capture`, parsed the same way for both. */
import { parseRetentionSpec, RETENTION_KINDS, type KindRetention } from './tiers'

export const RETENTION_FLAGS = Object.fromEntries(
  RETENTION_KINDS.map((k) => [`retention-${k}`, { type: 'string' as const }]),
) as Record<`retention-${(typeof RETENTION_KINDS)[number]}`, { type: 'string' }>

export const RETENTION_USAGE = `  --retention-interfaces SPEC, --retention-conversations SPEC, --retention-hosts SPEC,
  --retention-probes SPEC
                  how long history is kept per tier, e.g. 10s=1d,1m=7d,1h=180d,1d=forever
                  (defaults: those, but conversations' and hosts' 1d tier 400d)`

/** The flags' values as a per-kind retention; throws Error('--retention-KIND: ...') if bad. */
export function retentionFromFlags(
  values: Partial<Record<string, unknown>>,
): Partial<KindRetention> | undefined {
  const out: Partial<KindRetention> = {}
  let any = false
  for (const k of RETENTION_KINDS) {
    const v = values[`retention-${k}`]
    if (typeof v !== 'string') continue
    try {
      out[k] = parseRetentionSpec(v) as KindRetention[typeof k]
    } catch (err) {
      throw new Error(`--retention-${k}: ${(err as Error).message}`)
    }
    any = true
  }
  return any ? out : undefined
}
