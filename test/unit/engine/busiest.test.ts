/**
 * The whole table's busiest hosts and conversations are computed by the capture worker only
 * while an alert rule watches host or conversation rates: the engine says so in the start message
 * and, when the rules change, to the running worker.
 */
import { describe, expect, it } from 'vitest'
import { AlertConfig } from '../../../common/alerts'
import { DEFAULT_ALERTS } from '../../../electron/engine/alerts/defaults'
import { RULE_SERIES, busiestWanted } from '../../../electron/engine/alerts/series'
import { dispatch } from '../../../electron/engine/api'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'
import { fakeLauncher } from './fake-worker'

const hostRule = AlertConfig.parse({
  rules: [{ name: 'fan-in', metric: 'host_bytes_per_second', above: 1e6 }],
  webhooks: [],
})

describe('busiest series on demand', () => {
  it('only rules on host or conversation rates want them', () => {
    expect(busiestWanted(DEFAULT_ALERTS)).toBe(0)
    expect(busiestWanted(hostRule)).toBe(RULE_SERIES)
    const conv = AlertConfig.parse({
      rules: [{ name: 'pair', metric: 'conversation_bytes_per_second', above: 1e6 }],
      webhooks: [],
    })
    expect(busiestWanted(conv)).toBe(RULE_SERIES)
    expect(busiestWanted({ rules: [], webhooks: [] })).toBe(0)
  })

  it('tells the worker at start and when the rules change', async () => {
    const fake = fakeLauncher({ started: { kind: 'live', link_type: 1, link_type_name: 'EN10MB' } })
    const monitor = new Monitor({ sysnet: new FakeSysNet(), launcher: fake.launcher })
    await monitor.capture.start('eth0')
    const w = fake.workers[0]!
    // The default rules watch no host or conversation: none computed.
    expect(w.posted[0]).toMatchObject({ type: 'start' })
    expect(w.posted[0]).not.toHaveProperty('busiest')
    const asked = () => w.posted.filter((m) => m.type === 'busiest')
    expect(asked()).toEqual([])
    await dispatch(monitor.handlers, 'alerts.rules.set', hostRule, { transport: 'websocket' })
    expect(asked()).toEqual([{ type: 'busiest', n: RULE_SERIES }])
    // The same need again: nothing to say.
    await dispatch(monitor.handlers, 'alerts.rules.set', hostRule, { transport: 'websocket' })
    expect(asked()).toHaveLength(1)
    // The next capture starts with them.
    await monitor.capture.start('eth0', 'udp')
    expect(fake.workers[1]!.posted[0]).toMatchObject({ type: 'start', busiest: RULE_SERIES })
    await dispatch(monitor.handlers, 'alerts.rules.set', DEFAULT_ALERTS, { transport: 'websocket' })
    expect(fake.workers[1]!.posted.filter((m) => m.type === 'busiest')).toEqual([
      { type: 'busiest', n: 0 },
    ])
    await monitor.stop()
  })
})
