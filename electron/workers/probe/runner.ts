import type { ProbeResult, ProbeSpec } from '../../../common/probes'
import type { FromWorker } from '../../shared/protocol/probe'
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
  concurrency?: number
  clock?: SchedulerClock
  /** ICMP socket kind: auto (raw if allowed, else ping socket), or force one (tests). */
  icmpMode?: 'auto' | 'raw' | 'dgram'
  /** How long results wait to be batched, ms. */
  flush_ms?: number
}

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
 * The probe worker's core, independent of how messages travel: builds probers, schedules them,
 * and emits batched results. electron/workers/probe/main.ts connects it to process IPC.
 */
export class ProbeRunner {
  private readonly scheduler: Scheduler
  private readonly icmp: IcmpService
  private readonly probers = new Map<string, Prober>()
  private batch: ProbeResult[] = []
  private flushTimer: NodeJS.Timeout | null = null
  private stopping = false
  private readonly sentCounters = new Map<string, string>()
  private lastCounterScan = 0

  constructor(
    private readonly emit: (msg: FromWorker) => void,
    private readonly opts: RunnerOptions = {},
  ) {
    this.scheduler = new Scheduler(opts.concurrency ?? 256, opts.clock ?? realClock)
    this.icmp = new IcmpService(opts.icmpMode ?? 'auto')
  }

  /** Prepares every target, then runs the schedule; resolves after 'done' was emitted. */
  async run(specs: ProbeSpec[]): Promise<void> {
    try {
      for (const spec of specs) {
        if (this.probers.has(spec.target)) continue
        let target: ProbeTarget
        try {
          target = parseProbeTarget(spec.target)
        } catch (err) {
          if (err instanceof ProbeTargetError)
            return this.fatal(spec.target, 'BAD_REQUEST', err.message)
          throw err
        }
        try {
          this.probers.set(spec.target, await createProber(target, this.icmp))
        } catch (err) {
          if (err instanceof IcmpUnavailableError)
            return this.fatal(spec.target, err.code, err.message)
          throw err
        }
        const prober = this.probers.get(spec.target)!
        const kind = target.kind
        this.scheduler.add({
          interval_ms: spec.interval_ms,
          count: spec.count,
          run: async (seq) => {
            const o = await prober.probe(seq, spec.timeout_ms)
            const r: ProbeResult = {
              target: spec.target,
              kind,
              seq,
              sent_at: new Date(o.sent_wall_ms).toISOString(),
              rtt_ms: o.rtt_ms,
              status: o.status,
            }
            if (o.phases_ms) r.phases_ms = o.phases_ms
            if (o.error) r.error = o.error
            this.push(r)
          },
        })
      }
      if (this.stopping) return this.finish()
      this.emit({ type: 'started' })
      this.scheduler.start()
      await this.scheduler.idle()
      this.finish()
    } catch (err) {
      this.fatal('*', 'INTERNAL', err instanceof Error ? err.message : String(err))
    }
  }

  /** Ends early: nothing new is launched; the probes in flight finish (or time out). */
  stop(): Promise<void> {
    this.stopping = true
    return this.scheduler.stop()
  }

  private fatal(
    target: string,
    code: 'BAD_REQUEST' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'INTERNAL',
    message: string,
  ): void {
    this.emit({ type: 'fatal', target, code, message })
    this.close()
  }

  private finish(): void {
    this.flush(true)
    this.emit({ type: 'done', lateness: this.scheduler.latenessSummary() })
    this.close()
  }

  private close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    for (const p of this.probers.values()) p.close()
    this.icmp.close()
  }

  private push(r: ProbeResult): void {
    this.batch.push(r)
    this.flushTimer ??= setTimeout(() => this.flush(), this.opts.flush_ms ?? 20)
  }

  private flush(force = false): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = null
    // Only counters that changed, scanned at most twice a second (every one at the end): with
    // thousands of targets a scan per batch would cost more than the probes.
    const counters: Record<string, { late: number; duplicates: number }> = {}
    const now = performance.now()
    const scan = force || now - this.lastCounterScan >= 500
    if (scan) this.lastCounterScan = now
    for (const [target, p] of scan ? this.probers : []) {
      const key = `${p.counters.late}/${p.counters.duplicates}`
      if (!force && this.sentCounters.get(target) === key) continue
      this.sentCounters.set(target, key)
      counters[target] = { ...p.counters }
    }
    if (!this.batch.length && !force) return
    const results = this.batch
    this.batch = []
    this.emit({ type: 'results', results, counters })
  }
}
