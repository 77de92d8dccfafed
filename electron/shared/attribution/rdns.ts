/**
 * Reverse DNS (PTR) names for addresses, never on the caller's critical path: `name()` answers
 * from the cache at once and, on a miss, queues a lookup whose answer shows up in a later call
 * (the next tick). Lookups go through `dns.promises.Resolver` (c-ares, not the libc thread pool),
 * with bounded concurrency, a timeout, a bounded queue and a bounded cache. Failures (NXDOMAIN,
 * timeouts, refusals) are cached too, for less time, so a silent server is not asked every tick.
 *
 * Node's resolver does not return a PTR record's TTL, so answers live for a fixed time.
 */
import { Resolver } from 'node:dns/promises'
import { Lru } from './lru'

export interface ReverseDnsOptions {
  /** DNS servers ("127.0.0.2", "[::1]:5353", "127.0.0.2:5300"); default: the system's. */
  servers?: string[]
  /** Per-try timeout in ms (c-ares doubles it on each retry); default 1500. */
  timeoutMs?: number
  tries?: number
  /** Lookups in flight at once; default 8. */
  concurrency?: number
  /** Addresses waiting for a lookup slot; more are dropped (asked again on a later call). */
  maxQueue?: number
  maxEntries?: number
  positiveTtlMs?: number
  negativeTtlMs?: number
  now?: () => number
}

interface Entry {
  name: string | null
  expires: number
}

export interface ReverseDnsStats {
  lookups: number
  answered: number
  failed: number
  dropped: number
  inFlight: number
  queued: number
}

export class ReverseDns {
  private readonly resolver: Resolver
  private readonly cache: Lru<string, Entry>
  private readonly queue = new Set<string>()
  private readonly inFlight = new Set<string>()
  private readonly concurrency: number
  private readonly maxQueue: number
  private readonly positiveTtlMs: number
  private readonly negativeTtlMs: number
  private readonly now: () => number
  private closed = false
  private readonly counts = { lookups: 0, answered: 0, failed: 0, dropped: 0 }

  constructor(options: ReverseDnsOptions = {}) {
    this.resolver = new Resolver({ timeout: options.timeoutMs ?? 1500, tries: options.tries ?? 2 })
    if (options.servers) this.resolver.setServers(options.servers)
    this.cache = new Lru(options.maxEntries ?? 16384)
    this.concurrency = options.concurrency ?? 8
    this.maxQueue = options.maxQueue ?? 1024
    this.positiveTtlMs = options.positiveTtlMs ?? 3_600_000
    this.negativeTtlMs = options.negativeTtlMs ?? 300_000
    this.now = options.now ?? Date.now
  }

  /** The cached name (null while unknown or when there is none); queues a lookup on a miss. */
  name(address: string): string | null {
    const e = this.cache.get(address)
    if (e && e.expires > this.now()) return e.name
    this.request(address)
    return e?.name ?? null
  }

  /** Whether the cache holds an answer (a name or a definite "none") for this address. */
  known(address: string): boolean {
    const e = this.cache.get(address)
    return e !== undefined && e.expires > this.now()
  }

  private request(address: string): void {
    if (this.closed || this.inFlight.has(address) || this.queue.has(address)) return
    if (this.queue.size >= this.maxQueue) {
      this.counts.dropped++
      return
    }
    this.queue.add(address)
    this.pump()
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.concurrency && this.queue.size > 0) {
      const address = this.queue.values().next().value as string
      this.queue.delete(address)
      this.inFlight.add(address)
      this.counts.lookups++
      void this.lookup(address)
    }
  }

  private async lookup(address: string): Promise<void> {
    let name: string | null = null
    try {
      const names = await this.resolver.reverse(address)
      name = names[0] ?? null
    } catch {
      name = null
    }
    this.inFlight.delete(address)
    if (this.closed) return
    if (name) this.counts.answered++
    else this.counts.failed++
    const ttl = name ? this.positiveTtlMs : this.negativeTtlMs
    this.cache.set(address, { name, expires: this.now() + ttl })
    this.pump()
  }

  get stats(): ReverseDnsStats {
    return { ...this.counts, inFlight: this.inFlight.size, queued: this.queue.size }
  }

  /** Resolves once nothing is queued or in flight (tests, end of a CLI run). */
  async settle(maxMs: number): Promise<void> {
    const end = Date.now() + maxMs
    while ((this.queue.size > 0 || this.inFlight.size > 0) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20))
  }

  close(): void {
    this.closed = true
    this.queue.clear()
    this.resolver.cancel()
  }
}
