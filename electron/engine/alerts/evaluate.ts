/**
 * Rule evaluation, once per tick, Prometheus-style: a series whose value crosses the threshold
 * becomes pending; if it stays across for `for` it fires (once); it resolves (once) only when it
 * comes back past the clearing threshold (hysteresis), or when its series is gone (with why).
 * Pure: time and values come in, transitions come out.
 */
import { durationSeconds, type AlertRule } from '../../../common/alerts'
import type { Labels, Sample } from './series'

export interface Instance {
  rule: AlertRule
  labels: Labels
  state: 'pending' | 'firing'
  activeAt_ms: number
  firedAt_ms: number | null
  value: number | null
  /** Annotations captured when it fired (context at that moment). */
  context: Record<string, string>
}

export type Transition =
  | { kind: 'firing'; instance: Instance; time_ms: number }
  | { kind: 'resolved'; instance: Instance; time_ms: number; reason: string }

/** Most alert instances (series) one rule tracks; more matching series are ignored. */
export const MAX_INSTANCES_PER_RULE = 1000

export const seriesKey = (labels: Labels): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  )

/** `match.address` / `match.port` match either end of a conversation. */
export function matches(labels: Labels, match: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(match)) {
    if (k in labels) {
      if (labels[k] !== v) return false
    } else if (k === 'address' || k === 'port') {
      if (labels[`${k}_a`] !== v && labels[`${k}_b`] !== v) return false
    } else return false
  }
  return true
}

export const breaches = (r: AlertRule, v: number): boolean =>
  r.above !== undefined ? v > r.above : v < r.below!

/** Back past the clearing threshold (the threshold itself when no `clear`). */
export const cleared = (r: AlertRule, v: number): boolean =>
  r.above !== undefined ? v <= (r.clear ?? r.above) : v >= (r.clear ?? r.below!)

export class RuleState {
  readonly instances = new Map<string, Instance>()
  readonly forMs: number

  constructor(readonly rule: AlertRule) {
    this.forMs = durationSeconds(rule.for) * 1000
  }

  /**
   * One evaluation. `samples`: every series of the rule's metric now; `absent`: why a series
   * that is no longer there is gone; `context`: annotations for an instance about to fire.
   */
  step(
    time_ms: number,
    samples: readonly Sample[],
    absent: (labels: Labels) => string,
    context: (labels: Labels) => Record<string, string>,
  ): Transition[] {
    const out: Transition[] = []
    const present = new Set<string>()
    for (const s of samples) {
      if (!matches(s.labels, this.rule.match)) continue
      const key = seriesKey(s.labels)
      present.add(key)
      let inst = this.instances.get(key)
      if (s.value === null) continue // no data now: keep whatever state it had
      if (!inst) {
        if (!breaches(this.rule, s.value) || this.instances.size >= MAX_INSTANCES_PER_RULE) continue
        inst = {
          rule: this.rule,
          labels: s.labels,
          state: 'pending',
          activeAt_ms: time_ms,
          firedAt_ms: null,
          value: s.value,
          context: {},
        }
        this.instances.set(key, inst)
      }
      inst.value = s.value
      if (inst.state === 'pending') {
        if (!breaches(this.rule, s.value)) {
          this.instances.delete(key)
        } else if (time_ms - inst.activeAt_ms >= this.forMs) {
          inst.state = 'firing'
          inst.firedAt_ms = time_ms
          inst.context = context(s.labels)
          out.push({ kind: 'firing', instance: inst, time_ms })
        }
      } else if (cleared(this.rule, s.value)) {
        this.instances.delete(key)
        out.push({
          kind: 'resolved',
          instance: inst,
          time_ms,
          reason: 'value back within threshold',
        })
      }
    }
    for (const [key, inst] of this.instances) {
      if (present.has(key)) continue
      this.instances.delete(key)
      if (inst.state === 'firing')
        out.push({ kind: 'resolved', instance: inst, time_ms, reason: absent(inst.labels) })
    }
    return out
  }

  /** The rule was removed or replaced: its firing instances resolve with `reason`. */
  drop(time_ms: number, reason: string): Transition[] {
    const out: Transition[] = []
    for (const inst of this.instances.values())
      if (inst.state === 'firing') out.push({ kind: 'resolved', instance: inst, time_ms, reason })
    this.instances.clear()
    return out
  }
}
