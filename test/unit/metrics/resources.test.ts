/**
 * The fleet resources: `promtool check rules` accepts the Prometheus rules, the default rules
 * file equals the rules a new installation starts with, the Prometheus rules cover the same
 * rules with the same `for`, and every metric the Grafana dashboard queries exists in the
 * exposition.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { durationSeconds } from '../../../common/alerts'
import { DEFAULT_ALERTS } from '../../../electron/engine/alerts/defaults'
import { parseRules } from '../../../electron/engine/alerts/rules-file'
import { EventBus } from '../../../electron/engine/events'
import { createMetrics } from '../../../electron/engine/metrics'
import { hasCommand } from '../../support/netns'
import { families } from './helpers'

const PROM = 'resources/prometheus'
const ruleFiles = readdirSync(PROM).filter((f) => f.endsWith('.rules.yml'))

/** Every flowscope_* name in a PromQL expression. */
const metricNames = (expr: string): string[] =>
  [...expr.matchAll(/\b(flowscope_[a-z0-9_]+)/g)].map((m) => m[1]!)

/** A name is exposed as a family, or as a histogram's _bucket / _sum / _count series. */
const isExposed = (exposed: Map<string, string>, name: string): boolean =>
  exposed.has(name) || exposed.get(name.replace(/_(bucket|sum|count)$/, '')) === 'histogram'

async function exposition(): Promise<Map<string, string>> {
  const m = createMetrics({ events: new EventBus(), counters: () => null, firing: () => [] })
  return families(await m.text())
}

describe('resources for fleets', () => {
  const noPromtool = hasCommand('promtool') ? null : 'promtool is not installed'
  if (noPromtool) console.warn(`skipping promtool check rules: ${noPromtool}`)
  it.skipIf(noPromtool !== null)(
    'promtool check rules accepts resources/prometheus/*.rules.yml',
    () => {
      expect(ruleFiles.length).toBeGreaterThan(0)
      const r = spawnSync('promtool', ['check', 'rules', ...ruleFiles.map((f) => join(PROM, f))], {
        encoding: 'utf8',
      })
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/)
      expect(r.status).toBe(0)
    },
  )

  it('the default rules file is the default rule set, and Prometheus evaluates the same rules', () => {
    const file = parseRules(readFileSync(join(PROM, 'flowscope-default-rules.yaml'), 'utf8'))
    expect(file).toEqual(DEFAULT_ALERTS)
    const prom = parse(readFileSync(join(PROM, 'flowscope.rules.yml'), 'utf8')) as {
      groups: { rules: { alert: string; for?: string; labels?: Record<string, string> }[] }[]
    }
    const central = prom.groups.flatMap((g) => g.rules).filter((r) => r.labels?.flowscope_rule)
    expect(central.map((r) => r.labels!.flowscope_rule).sort()).toEqual(
      DEFAULT_ALERTS.rules.map((r) => r.name).sort(),
    )
    for (const r of central) {
      const local = DEFAULT_ALERTS.rules.find((d) => d.name === r.labels!.flowscope_rule)!
      expect(durationSeconds(r.for!), r.alert).toBe(durationSeconds(local.for))
      expect(r.labels!.severity).toBe(local.severity)
    }
  })

  it('every metric the Prometheus rules and the Grafana dashboard query is in the exposition', async () => {
    const exposed = await exposition()
    const dash = JSON.parse(readFileSync('resources/grafana/flowscope-fleet.json', 'utf8')) as {
      panels: { targets?: { expr: string }[] }[]
      templating: { list: { definition: string }[] }
    }
    const exprs = [
      ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dash.templating.list.map((v) => v.definition),
      ...ruleFiles.flatMap((f) =>
        (
          parse(readFileSync(join(PROM, f), 'utf8')) as { groups: { rules: { expr: string }[] }[] }
        ).groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ),
    ]
    const used = new Set(exprs.flatMap(metricNames))
    expect(used.size).toBeGreaterThan(20)
    const missing = [...used].filter((n) => !isExposed(exposed, n))
    expect(missing).toEqual([])
    // Counters are queried through rate(); gauges are not.
    for (const e of exprs)
      for (const m of e.matchAll(/rate\((flowscope_[a-z0-9_]+)/g))
        expect(m[1]!.endsWith('_bucket') || exposed.get(m[1]!) === 'counter', m[1]).toBe(true)
  })
})
