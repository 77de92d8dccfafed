/**
 * "Who is talking": adds to conversation records the local process (live captures on Linux), the
 * service, each endpoint's host name (reverse DNS, when asked for), country and network. One
 * object per capture; it runs wherever the records are made (the capture worker, or the CLI
 * in-process) and never blocks: names not yet known are null and filled in on a later call.
 */
import type { ConversationRecord } from '../../../common/capture'
import { Geo, type GeoOptions } from './geo'
import { ProcessAttributor, type ConversationKey, type ProcessAttributorOptions } from './processes'
import { ReverseDns, type ReverseDnsOptions } from './rdns'
import { conversationService } from './service'

export { Geo } from './geo'
export { ProcessAttributor, type ConversationKey } from './processes'
export { ReverseDns } from './rdns'
export { specialRange, type SpecialRange } from './special'
export { conversationService, serviceName } from './service'

export interface AttributionOptions {
  /** Owning processes from /proc (a live capture on Linux); off for files. */
  processes?: false | ProcessAttributorOptions
  /** Reverse DNS names; off unless given. */
  resolve?: false | ReverseDnsOptions
  geo?: GeoOptions
}

/** The fields Attribution adds, all optional on ConversationRecord. */
export type AttributionFields = Pick<
  ConversationRecord,
  | 'process'
  | 'pid'
  | 'process_side'
  | 'service'
  | 'name_a'
  | 'name_b'
  | 'range_a'
  | 'range_b'
  | 'country_a'
  | 'country_b'
  | 'asn_a'
  | 'asn_b'
  | 'as_org_a'
  | 'as_org_b'
>

/** The attribution field names, in ConversationRecord order. */
export const ATTRIBUTION_FIELDS = [
  'process',
  'pid',
  'process_side',
  'service',
  'name_a',
  'name_b',
  'range_a',
  'range_b',
  'country_a',
  'country_b',
  'asn_a',
  'asn_b',
  'as_org_a',
  'as_org_b',
] as const satisfies readonly (keyof AttributionFields)[]

/** Anything with a conversation's 5-tuple can be annotated (records, history deltas). */
export type Annotatable = ConversationKey & AttributionFields

export class Attribution {
  readonly processes: ProcessAttributor | null
  private resolver: ReverseDns | null
  readonly geo: Geo

  constructor(options: AttributionOptions = {}) {
    this.processes =
      options.processes === undefined || options.processes === false
        ? null
        : new ProcessAttributor(options.processes)
    this.resolver =
      options.resolve === undefined || options.resolve === false
        ? null
        : new ReverseDns(options.resolve)
    this.geo = new Geo(options.geo)
  }

  /** Reverse DNS, or null while resolving is off. */
  get dns(): ReverseDns | null {
    return this.resolver
  }

  /**
   * Turns reverse DNS on or off mid-capture (iftop's `n`): off forgets the names, so the next
   * annotate() says null for them; on starts from an empty cache.
   */
  setResolve(resolve: false | ReverseDnsOptions): void {
    if (resolve === false) {
      this.resolver?.close()
      this.resolver = null
    } else if (!this.resolver) this.resolver = new ReverseDns(resolve)
  }

  /** Call once per tick before annotating that tick's records (bounds /proc refreshes). */
  tick(): void {
    this.processes?.tick()
  }

  /**
   * Sets the attribution fields on the records themselves (they are made fresh for each tick
   * or report) and returns them. Copying 30-field records costs more than the lookups do.
   */
  annotate<R extends Annotatable[]>(records: R): R {
    for (const r of records) {
      const p = this.processes?.lookup(r) ?? null
      const a = this.geo.lookup(r.address_a)
      const b = this.geo.lookup(r.address_b)
      r.process = p?.name ?? null
      r.pid = p?.pid ?? null
      r.process_side = p?.side ?? null
      r.service = conversationService(r.protocol, r.port_a, r.port_b)?.name ?? null
      r.name_a = this.dns?.name(r.address_a) ?? null
      r.name_b = this.dns?.name(r.address_b) ?? null
      r.range_a = a.special
      r.range_b = b.special
      r.country_a = a.country
      r.country_b = b.country
      r.asn_a = a.asn
      r.asn_b = b.asn
      r.as_org_a = a.as_org
      r.as_org_b = b.as_org
    }
    return records
  }

  /** Process stats line for warnings ("3 processes' sockets could not be read"), or null. */
  visibilityWarning(): string | null {
    const denied = this.processes?.stats.denied ?? 0
    if (denied === 0) return null
    return `${denied} processes' sockets could not be read (other users' /proc/PID/fd need root or CAP_SYS_PTRACE); their conversations show as unknown`
  }

  close(): void {
    this.processes?.unwatch()
    this.resolver?.close()
    this.resolver = null
  }
}

/**
 * For a report at the end of a run: annotates, waits (up to maxMs) for the names of every
 * address to be looked up, and annotates again. Without reverse DNS it is one annotate().
 */
export async function annotateSettled(
  attribution: Attribution,
  records: ConversationRecord[],
  maxMs: number,
): Promise<ConversationRecord[]> {
  const dns = attribution.dns
  if (!dns) return attribution.annotate(records)
  const end = Date.now() + maxMs
  const addresses = new Set<string>()
  for (const r of records) addresses.add(r.address_a).add(r.address_b)
  for (;;) {
    const missing = [...addresses].filter((a) => !dns.known(a))
    if (missing.length === 0 || Date.now() >= end) break
    for (const a of missing) dns.name(a)
    await dns.settle(end - Date.now())
  }
  return attribution.annotate(records)
}

/** Reverse DNS options from the environment: FLOWSCOPE_DNS_SERVERS="127.0.0.2,[::1]:5353". */
export function resolverOptions(env: NodeJS.ProcessEnv): ReverseDnsOptions {
  const servers = env.FLOWSCOPE_DNS_SERVERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return servers && servers.length > 0 ? { servers } : {}
}
