import { probeErrorKind, type ProbeResult, type ProbeSpec } from '../../../common/probes'
import type { ConcurrencyLimits } from '../../shared/protocol/probe'
import { DnsProber } from './probers/dns'
import { HttpProber } from './probers/http'
import { TcpProber } from './probers/tcp'
import { UdpProber } from './probers/udp'
import { IcmpProber, IcmpService } from './probers/icmp'
import { IcmpUnavailableError } from './icmp-addon'
import { FailingProber, errorCode, resolveHost, type Prober } from './prober'
import { Scheduler, realClock, type SchedulerClock } from './scheduler'
import { parseProbeTarget, ProbeTargetError, type ProbeTarget } from '../../shared/probes/target'

export interface RunnerOptions {
  /** Most probes in flight, in all and per target kind. */
  concurrency?: ConcurrencyLimits
  clock?: SchedulerClock
  /** ICMP socket kind: auto (raw if allowed, else ping socket), or force one (tests). */
  icmpMode?: 'auto' | 'raw' | 'dgram'
  /** First seq of every target (a restarted worker continues where the last one ended). */
  seqBase?: number
  /** Results kept while the host lags; beyond this the oldest are dropped and counted. */
  maxPending?: number
}

/** What the runner tells its worker: ready, or a target it cannot probe at all. */
export interface RunnerEvents {
  started(): void
  fatal(target: string, code: FatalCode, message: string): void
}

export type FatalCode = 'BAD_REQUEST' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'INTERNAL'

/** Results and counters since the previous take. */
export interface ResultBatch {
  results: ProbeResult[]
  counters: Record<string, { late: number; duplicates: number }>
  results_dropped: number
}

export const DEFAULT_MAX_PENDING = 200_000

/** Makes the prober for a parsed target. Host names are resolved once, here. */
export async function createProber(t: ProbeTarget, icmp: IcmpService): Promise<Prober> {
  if (t.kind === 'http' || t.kind === 'https') return new HttpProber(t.href, t.kind === 'https')
  let addr: { address: string; family: 4 | 6 }
  try {
    addr = await resolveHost(t.host)
  } catch (err) {
    // An unknown name is unreachable (100 % loss), not a usage error.
    return new FailingProber(errorCode(err))
  }
  switch (t.kind) {
    case 'icmp':
      return new IcmpProber(icmp, addr.address, addr.family)
    case 'tcp':
      return new TcpProber(addr.address, t.port)
    case 'udp':
      return new UdpProber(addr.address, t.port, addr.family).ready()
    case 'dns':
      return new DnsProber(addr.address, t.port, addr.family, t.name, t.qtype).ready()
  }
}

/**
 * The probe worker's core, independent of how messages travel: builds probers, schedules them
 * and collects results until the worker takes them (once per tick). electron/workers/probe/main.ts
 * connects it to the host.
 */
export class ProbeRunner {
  private readonly scheduler: Scheduler
  private readonly icmp: IcmpService
  private readonly probers = new Map<string, Prober>()
  private batch: ProbeResult[] = []
  private dropped = 0
  private stopping = false
  private readonly sentCounters = new Map<string, string>()

  constructor(private readonly opts: RunnerOptions = {}) {
    const c = opts.concurrency ?? { total: 256, per_kind: {} }
    this.scheduler = new Scheduler(c.total, opts.clock ?? realClock, 100_000, c.per_kind)
    this.icmp = new IcmpService(opts.icmpMode ?? 'auto')
  }

  /**
   * Prepares every target, then runs the schedule. Resolves true once every probe has finished
   * (count reached or stopped), false after a fatal failure (already reported).
   */
  async run(specs: ProbeSpec[], on: RunnerEvents): Promise<boolean> {
    const seqBase = this.opts.seqBase ?? 0
    try {
      for (const spec of specs) {
        if (this.probers.has(spec.target)) continue
        let target: ProbeTarget
        try {
          target = parseProbeTarget(spec.target)
        } catch (err) {
          if (err instanceof ProbeTargetError)
            return this.fatal(on, spec.target, 'BAD_REQUEST', err.message)
          throw err
        }
        try {
          this.probers.set(spec.target, await createProber(target, this.icmp))
        } catch (err) {
          if (err instanceof IcmpUnavailableError)
            return this.fatal(on, spec.target, err.code, err.message)
          throw err
        }
        const prober = this.probers.get(spec.target)!
        const kind = target.kind
        this.scheduler.add({
          interval_ms: spec.interval_ms,
          count: spec.count,
          group: kind,
          run: async (n) => {
            const o = await prober.probe(seqBase + n, spec.timeout_ms)
            const r: ProbeResult = {
              target: spec.target,
              kind,
              seq: seqBase + n,
              sent_at: new Date(o.sent_wall_ms).toISOString(),
              rtt_ms: o.rtt_ms,
              status: o.status,
            }
            if (o.phases_ms) r.phases_ms = o.phases_ms
            if (o.error) r.error = o.error
            const errorKind = probeErrorKind(o.status, o.error)
            if (errorKind) r.error_kind = errorKind
            this.push(r)
          },
        })
      }
      if (!this.stopping) {
        on.started()
        this.scheduler.start()
        await this.scheduler.idle()
      }
      this.close()
      return true
    } catch (err) {
      return this.fatal(on, '*', 'INTERNAL', err instanceof Error ? err.message : String(err))
    }
  }

  /** Ends early: nothing new is launched; the probes in flight finish (or time out). */
  stop(): Promise<void> {
    this.stopping = true
    return this.scheduler.stop()
  }

  lateness(): ReturnType<Scheduler['latenessSummary']> {
    return this.scheduler.latenessSummary()
  }

  /**
   * Results completed since the previous take and the counters that changed (every counter when
   * `all`, at the end). A take the host has no room for simply does not happen: results merge
   * into the next one.
   */
  take(all = false): ResultBatch {
    const counters: Record<string, { late: number; duplicates: number }> = {}
    for (const [target, p] of this.probers) {
      const key = `${p.counters.late}/${p.counters.duplicates}`
      if (!all && (this.sentCounters.get(target) ?? '0/0') === key) continue
      this.sentCounters.set(target, key)
      counters[target] = { ...p.counters }
    }
    const batch: ResultBatch = { results: this.batch, counters, results_dropped: this.dropped }
    this.batch = []
    return batch
  }

  private fatal(on: RunnerEvents, target: string, code: FatalCode, message: string): false {
    on.fatal(target, code, message)
    this.close()
    return false
  }

  private close(): void {
    for (const p of this.probers.values()) p.close()
    this.icmp.close()
  }

  private push(r: ProbeResult): void {
    if (this.batch.length >= (this.opts.maxPending ?? DEFAULT_MAX_PENDING)) {
      this.batch.shift()
      this.dropped++
    }
    this.batch.push(r)
  }
}
