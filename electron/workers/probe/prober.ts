import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { ProbePhases } from '../../../common/probes'
import type { ReplyCounters } from '../../shared/probes/stats'

/** What one probe came to; the runner adds target, kind and seq to make a ProbeResult. */
export interface ProbeOutcome {
  /** Wall-clock send time, ms since the epoch. */
  sent_wall_ms: number
  rtt_ms: number | null
  status: 'ok' | 'timeout' | 'error'
  phases_ms?: ProbePhases
  error?: string
}

/** One target's probe mechanism. probe() never rejects: failures are outcomes. */
export interface Prober {
  probe(seq: number, timeout_ms: number): Promise<ProbeOutcome>
  readonly counters: ReplyCounters
  close(): void
}

/** Elapsed ms between two process.hrtime.bigint() readings. */
export const elapsedMs = (from: bigint, to: bigint): number => Number(to - from) / 1e6

export function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return e?.code ?? (e instanceof Error ? e.message : String(err))
}

/** Resolves a host name once (probers send to a fixed address); IP literals pass through. */
export async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const fam = isIP(host)
  if (fam) return { address: host, family: fam as 4 | 6 }
  const r = await lookup(host)
  return { address: r.address, family: r.family === 6 ? 6 : 4 }
}

/** A prober for a target that cannot be reached at all (e.g. its name does not resolve). */
export class FailingProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  constructor(private readonly reason: string) {}
  async probe(): Promise<ProbeOutcome> {
    return { sent_wall_ms: Date.now(), rtt_ms: null, status: 'error', error: this.reason }
  }
  close(): void {}
}

/**
 * Outstanding requests keyed by a wire id, plus bounded memories of ids that timed out or were
 * answered, so a reply is sorted into exactly one of: on time, late, duplicate, or foreign.
 */
export class PendingTable<K, V> {
  private pending = new Map<K, V>()
  private timedOut = new Map<K, true>()
  private answered = new Map<K, true>()

  constructor(
    readonly counters: ReplyCounters,
    private readonly memory = 8192,
  ) {}

  get(key: K): V | undefined {
    return this.pending.get(key)
  }

  has(key: K): boolean {
    return this.pending.has(key)
  }

  add(key: K, value: V): void {
    // A reused wire id starts fresh.
    this.timedOut.delete(key)
    this.answered.delete(key)
    this.pending.set(key, value)
  }

  /** The probe for `key` timed out: returns its entry, remembers the id for late replies. */
  expire(key: K): V | undefined {
    const v = this.pending.get(key)
    if (v === undefined) return undefined
    this.pending.delete(key)
    this.remember(this.timedOut, key)
    return v
  }

  /** Drops an entry without remembering it (e.g. its send failed). */
  drop(key: K): V | undefined {
    const v = this.pending.get(key)
    this.pending.delete(key)
    return v
  }

  /** A reply for `key` arrived: its pending entry if on time; counts late and duplicate replies. */
  reply(key: K): V | undefined {
    const v = this.pending.get(key)
    if (v !== undefined) {
      this.pending.delete(key)
      this.remember(this.answered, key)
      return v
    }
    if (this.answered.has(key)) {
      this.counters.duplicates++
    } else if (this.timedOut.has(key)) {
      this.counters.late++
      this.timedOut.delete(key)
      this.remember(this.answered, key) // a second copy of a late reply is a duplicate
    }
    return undefined
  }

  values(): IterableIterator<V> {
    return this.pending.values()
  }

  private remember(map: Map<K, true>, key: K): void {
    map.set(key, true)
    if (map.size > this.memory) map.delete(map.keys().next().value as K)
  }
}
