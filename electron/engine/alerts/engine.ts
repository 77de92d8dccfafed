/**
 * Alerts for one engine: rules evaluated on every Monitor tick against the live series, each
 * firing and clearing published as an 'alert' event, recorded in history, shown as an OS
 * notification (desktop) and POSTed to webhooks in Alertmanager's format.
 */
import { hostname } from 'node:os'
import type { ActiveAlert, AlertConfig, AlertNotice, AlertsList } from '../../../common/alerts'
import type { AlertEvent } from '../../shared/store'
import { EngineError } from '../api'
import type { EventBus } from '../events'
import { alertmanagerBody } from './alertmanager'
import { DEFAULT_ALERTS } from './defaults'
import { alertContext, describeValue, threshold } from './context'
import { RuleState, type Instance, type Transition } from './evaluate'
import type { Notifier } from './notifier'
import type { RulesStore } from './rules-store'
import { LiveSeries } from './series'
import { WebhookSender, type SenderOptions } from './webhook'

export interface AlertEngineOptions {
  /** Files every firing and clearing in history. */
  record?: (event: AlertEvent) => void
  notifier?: Notifier | null
  store?: RulesStore | null
  webhook?: SenderOptions
  /** Added to every alert's labels; default this host's name (which machine of a fleet). */
  instance?: string
  /** Rules when none are stored yet (default: DEFAULT_ALERTS). */
  defaults?: AlertConfig
  /** Told each set of rules applied (what they watch decides what capture ticks carry). */
  onRules?: (config: AlertConfig) => void
}

const RECENT = 100

export class AlertEngine {
  readonly live = new LiveSeries()
  private config: AlertConfig = { rules: [], webhooks: [] }
  private states: RuleState[] = []
  private senders: WebhookSender[] = []
  private readonly recent: AlertNotice[] = []
  private readonly offs: Array<() => void> = []
  private readonly instance: string

  constructor(
    private readonly events: EventBus,
    private readonly opts: AlertEngineOptions = {},
  ) {
    this.instance = opts.instance ?? hostname()
    let stored: AlertConfig | null = null
    try {
      stored = opts.store?.load() ?? null
    } catch {
      // An unusable store (history failed to open) leaves the rules in memory only.
    }
    this.apply(stored ?? opts.defaults ?? DEFAULT_ALERTS)
    this.offs.push(
      events.on('bandwidth.tick', (tick) => {
        this.live.onBandwidth(tick)
        this.evaluate(Date.parse(tick.time))
      }),
      // A file opened in the UI is an analysis, not an interface: rules do not watch it.
      events.on('capture.state', (s) => this.live.onCaptureState(s.active && !s.file, s.iface)),
      events.on('capture.tick', (t) => {
        if (t.file === undefined) this.live.onCaptureTick(t)
      }),
      events.on('probes.state', (s) => this.live.onProbesState(s.active)),
      events.on('probes.stats', (s) => this.live.onProbeStats(s.targets)),
    )
  }

  rules(): AlertConfig {
    return structuredClone(this.config)
  }

  /** Replaces the rules (and saves them); instances of rules removed or changed resolve. */
  setRules(config: AlertConfig): AlertConfig {
    this.apply(config)
    try {
      this.opts.store?.save(config)
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw new EngineError('UNAVAILABLE', `rules apply to this run but were not saved: ${why}`)
    }
    return this.rules()
  }

  list(): AlertsList {
    const active: ActiveAlert[] = []
    for (const s of this.states)
      for (const i of s.instances.values())
        active.push({
          state: i.state,
          rule: i.rule.name,
          severity: i.rule.severity,
          labels: this.labels(i),
          annotations: this.annotations(i),
          value: i.value,
          activeAt: new Date(i.activeAt_ms).toISOString(),
        })
    return { active, recent: [...this.recent] }
  }

  /** Firing instances' labels (for flowscope_alert_firing). */
  firing(): Array<Record<string, string>> {
    return this.states.flatMap((s) =>
      [...s.instances.values()].filter((i) => i.state === 'firing').map((i) => this.labels(i)),
    )
  }

  webhookStats() {
    return this.senders.map((s) => ({ url: s.hook.url, ...s.stats }))
  }

  /** One evaluation of every rule at `time_ms` (the Monitor's tick time). */
  evaluate(time_ms: number): void {
    for (const s of this.states) {
      const m = s.rule.metric
      const transitions = s.step(
        time_ms,
        this.live.samples(m),
        (labels) => this.live.absentReason(m, labels),
        (labels) => alertContext(s.rule, labels, this.live),
      )
      transitions.forEach((t) => this.deliver(t))
    }
  }

  /** Waits for webhook queues to empty (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all(this.senders.map((s) => s.idle()))
  }

  async close(): Promise<void> {
    this.offs.forEach((off) => off())
    await Promise.all(this.senders.map((s) => s.close()))
    this.opts.store?.close()
  }

  private apply(config: AlertConfig): void {
    const now = Date.now()
    const old = new Map(this.states.map((s) => [s.rule.name, s]))
    this.states = config.rules.map((rule) => {
      const prev = old.get(rule.name)
      if (prev && JSON.stringify(prev.rule) === JSON.stringify(rule)) {
        old.delete(rule.name)
        return prev
      }
      if (prev) {
        old.delete(rule.name)
        prev.drop(now, 'rule changed').forEach((t) => this.deliver(t))
      }
      return new RuleState(rule)
    })
    for (const s of old.values()) s.drop(now, 'rule removed').forEach((t) => this.deliver(t))
    const hooks = JSON.stringify(config.webhooks)
    if (hooks !== JSON.stringify(this.config.webhooks)) {
      this.senders.forEach((s) => void s.close())
      this.senders = config.webhooks.map((h) => new WebhookSender(h, this.opts.webhook))
    }
    this.config = structuredClone(config)
    this.opts.onRules?.(config)
  }

  private labels(i: Instance): Record<string, string> {
    return {
      ...i.labels,
      ...i.rule.labels,
      alertname: i.rule.name,
      severity: i.rule.severity,
      instance: this.instance,
    }
  }

  private annotations(i: Instance, reason?: string): Record<string, string> {
    const r = i.rule
    const series = Object.entries(i.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    const summary = `${r.name}: ${r.metric}${series ? ` {${series}}` : ''} ${describeValue(r.metric, i.value)} (threshold ${threshold(r)})`
    return {
      summary,
      description: `${r.metric} ${threshold(r)} for ${r.for === 0 ? '0s' : r.for}${
        r.clear !== undefined ? `, clears past ${describeValue(r.metric, r.clear)}` : ''
      }`,
      value: i.value === null ? '' : String(i.value),
      ...i.context,
      ...r.annotations,
      ...(reason && { resolved_reason: reason }),
    }
  }

  private deliver(t: Transition): void {
    const i = t.instance
    const resolved = t.kind === 'resolved'
    const reason = resolved ? t.reason : undefined
    const value = resolved && reason !== 'value back within threshold' ? null : i.value
    const notice: AlertNotice = {
      status: t.kind,
      rule: i.rule.name,
      severity: i.rule.severity,
      labels: this.labels(i),
      annotations: this.annotations(i, reason),
      value,
      startsAt: new Date(i.firedAt_ms ?? i.activeAt_ms).toISOString(),
      endsAt: resolved ? new Date(t.time_ms).toISOString() : null,
    }
    this.recent.unshift(notice)
    this.recent.length = Math.min(this.recent.length, RECENT)
    this.events.emit('alert', notice)
    const text = resolved
      ? `resolved (${reason}): ${notice.annotations.summary}`
      : `firing: ${notice.annotations.summary}${
          notice.annotations.top_conversations
            ? `; top: ${notice.annotations.top_conversations}`
            : ''
        }`
    try {
      this.opts.record?.({
        time_us: t.time_ms * 1000,
        rule: i.rule.name,
        severity: i.rule.severity,
        message: text,
        value,
      })
    } catch {
      // History failures surface through the store's own failure event.
    }
    try {
      this.opts.notifier?.notify(`${resolved ? 'Resolved' : 'Alert'}: ${i.rule.name}`, text)
    } catch {
      // A notifier must not break evaluation.
    }
    const body = alertmanagerBody(notice)
    for (const s of this.senders) s.send(body)
  }
}
