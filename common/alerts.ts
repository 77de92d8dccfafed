/**
 * Alert rules and alert notices: the DTOs the contract carries ('alerts.*' methods, the 'alert'
 * event) and the rules file (`flowscope serve --rules FILE`) is checked against. Pure TS + zod.
 * Metric names and their labels are documented in docs/alerts.md.
 */
import { z } from 'zod'

/** What a rule watches, and the labels (match keys) each metric's series carry. */
export const ALERT_METRICS = {
  interface_receive_bytes_per_second: ['device'],
  interface_transmit_bytes_per_second: ['device'],
  interface_receive_drops_per_second: ['device'],
  host_bytes_per_second: ['device', 'address'],
  conversation_bytes_per_second: ['device', 'protocol', 'address', 'port'],
  probe_rtt_avg_ms: ['target', 'kind'],
  probe_rtt_p95_ms: ['target', 'kind'],
  probe_loss_percent: ['target', 'kind'],
  probe_jitter_ms: ['target', 'kind'],
  tcp_retransmissions_per_second: ['device'],
  tcp_retransmission_percent: ['device'],
  capture_drops_per_second: ['device'],
} as const satisfies Record<string, readonly string[]>

export type AlertMetric = keyof typeof ALERT_METRICS
export const AlertMetric = z.enum(Object.keys(ALERT_METRICS) as [AlertMetric, ...AlertMetric[]])

/** `10s`, `1m30s`, `500ms`, `2h`, or a number of seconds. */
export const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/

/** Seconds in a duration string or number (see DURATION_RE); NaN when malformed. */
export function durationSeconds(d: string | number): number {
  if (typeof d === 'number') return d
  if (!DURATION_RE.test(d)) return NaN
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const
  let total = 0
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * unit[m[2] as keyof typeof unit]
  return total
}

const Duration = z
  .union([
    z.number().nonnegative().max(86_400),
    z.string().regex(DURATION_RE, 'a duration such as 10s, 1m or 500ms'),
  ])
  .refine((d) => durationSeconds(d) <= 86_400, 'at most 24h')

const LabelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'a label name ([a-zA-Z_][a-zA-Z0-9_]*)')
const Labels = z
  .record(LabelName, z.string().max(1024))
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 labels')

export const AlertSeverity = z.enum(['info', 'warning', 'critical'])

export const AlertRule = z
  .object({
    name: z.string().min(1).max(128),
    metric: AlertMetric,
    /** Exact label values a series must have (keys: the metric's labels). */
    match: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
    /** How long the condition must hold before the alert fires (Prometheus's `for`). */
    for: Duration.default(0),
    /** The value the series must come back past to clear (hysteresis); the threshold when absent. */
    clear: z.number().finite().optional(),
    severity: AlertSeverity.default('warning'),
    /** Extra labels and annotations carried to webhooks (as in a Prometheus rule). */
    labels: Labels.default({}),
    annotations: Labels.default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.above === undefined) === (r.below === undefined))
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of above or below' })
    const allowed: readonly string[] = ALERT_METRICS[r.metric]
    for (const key of Object.keys(r.match))
      if (!allowed.includes(key))
        ctx.addIssue({
          code: 'custom',
          path: ['match', key],
          message: `${r.metric} has no label '${key}' (it has: ${allowed.join(', ')})`,
        })
    if (r.clear !== undefined && r.above !== undefined && r.clear > r.above)
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: 'must not be above the threshold of an `above` rule',
      })
    if (r.clear !== undefined && r.below !== undefined && r.clear < r.below)
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: 'must not be below the threshold of a `below` rule',
      })
  })
export type AlertRule = z.output<typeof AlertRule>
export type AlertRuleInput = z.input<typeof AlertRule>

export const Webhook = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    /** Per-attempt timeout. */
    timeout: Duration.default('5s'),
    /** Attempts after the first, with exponential backoff. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Most notifications per minute to this receiver; the rest wait in a bounded queue. */
    max_per_minute: z.number().int().min(1).max(6000).default(60),
    /** Sent as `Authorization: Bearer ...` when set. */
    bearer_token: z.string().max(4096).optional(),
  })
  .strict()
export type Webhook = z.output<typeof Webhook>

export const AlertConfig = z
  .object({
    rules: z
      .array(AlertRule)
      .max(1000)
      .default([])
      .superRefine((rules, ctx) => {
        const seen = new Set<string>()
        rules.forEach((r, i) => {
          if (seen.has(r.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate rule name '${r.name}'`,
            })
          seen.add(r.name)
        })
      }),
    webhooks: z.array(Webhook).max(32).default([]),
  })
  .strict()
export type AlertConfig = z.output<typeof AlertConfig>

/** One firing or clearing of one alert instance (a rule on one series). */
export const AlertNotice = z.object({
  status: z.enum(['firing', 'resolved']),
  rule: z.string(),
  severity: z.string(),
  /** alertname, severity, the series' labels and the rule's labels. */
  labels: z.record(z.string(), z.string()),
  /** summary, description and the context at the moment it fired (top conversations, ...). */
  annotations: z.record(z.string(), z.string()),
  /** The value that fired or cleared it; null when it resolved because its series vanished. */
  value: z.number().nullable(),
  startsAt: z.string(),
  /** When it resolved; null while firing. */
  endsAt: z.string().nullable(),
})
export type AlertNotice = z.infer<typeof AlertNotice>

/** An alert instance that is pending (within `for`) or firing now. */
export const ActiveAlert = z.object({
  state: z.enum(['pending', 'firing']),
  rule: z.string(),
  severity: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  value: z.number().nullable(),
  /** When the condition began to hold (pending) — Prometheus's activeAt. */
  activeAt: z.string(),
})
export type ActiveAlert = z.infer<typeof ActiveAlert>

export const AlertsList = z.object({
  active: z.array(ActiveAlert),
  /** The latest firings and clearings of this run, newest first (at most 100). */
  recent: z.array(AlertNotice),
})
export type AlertsList = z.infer<typeof AlertsList>
