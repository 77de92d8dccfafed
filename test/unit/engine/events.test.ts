import { describe, expect, it } from 'vitest'
import { forClients } from '../../../electron/engine/events'

describe('events sent to clients', () => {
  it("leave out a capture tick's busiest series (the alert rules' input), nothing else", () => {
    const snapshot = {
      conversations: [],
      busiest: { hosts: [{ address: '10.0.0.1', bps: 5 }], conversations: [] },
    }
    const tick = { iface: 'eth0', snapshot, health: null, skipped: 0 }
    const sent = forClients('capture.tick', tick) as { snapshot: object }
    expect(sent.snapshot).toEqual({ conversations: [] })
    // The engine's own copy (the alert engine reads it) is untouched.
    expect(tick.snapshot.busiest.hosts).toHaveLength(1)
    const other = { names: ['eth0'] }
    expect(forClients('interfaces.changed', other)).toBe(other)
  })
})

describe('capture ticks per client', () => {
  const snapshot = { conversations: [] }
  const rows = (flows: number) => ({ flows, matched: flows, offset: 0, rows: [], selected: null })
  const tick = {
    iface: 'eth0',
    snapshot,
    health: null,
    skipped: 0,
    views: { c1: rows(1), c2: rows(2) },
  }

  it("give each client its own view's rows as `view`, and nothing of the others'", () => {
    const one = forClients('capture.tick', tick, 'c1') as Record<string, unknown>
    expect(one).toEqual({ iface: 'eth0', snapshot, health: null, skipped: 0, view: rows(1) })
    const two = forClients('capture.tick', tick, 'c2') as Record<string, unknown>
    expect(two.view).toEqual(rows(2))
    expect(JSON.stringify(two)).not.toContain('"flows":1')
    // A client that never set a view gets no `view` field at all.
    const none = forClients('capture.tick', tick, 'c3') as Record<string, unknown>
    expect(Object.keys(none).sort()).toEqual(['health', 'iface', 'skipped', 'snapshot'])
    expect(forClients('capture.tick', tick)).not.toHaveProperty('view')
    expect(forClients('capture.tick', tick, '__proto__')).not.toHaveProperty('view')
    // The engine's payload is untouched.
    expect(Object.keys(tick.views)).toEqual(['c1', 'c2'])
  })

  it("send the snapshot's top conversations only to clients without a view", () => {
    const top = [{ protocol: 'udp', address_a: '10.0.0.1', port_b: 53 }]
    const withTop = { ...tick, snapshot: { conversations: top } }
    const viewer = forClients('capture.tick', withTop, 'c1') as { snapshot: { conversations: [] } }
    expect(viewer.snapshot.conversations).toEqual([])
    const plain = forClients('capture.tick', withTop, 'c3') as { snapshot: { conversations: [] } }
    expect(plain.snapshot.conversations).toEqual(top)
    // The engine's copy (alerts, metrics) keeps them.
    expect(withTop.snapshot.conversations).toBe(top)
  })

  it('send a tick answering some clients early to them alone', () => {
    const early = { ...tick, views: { c2: rows(2) }, to: ['c2'] }
    expect(forClients('capture.tick', early, 'c1')).toBeUndefined()
    expect(forClients('capture.tick', early)).toBeUndefined()
    const sent = forClients('capture.tick', early, 'c2') as Record<string, unknown>
    expect(sent).not.toHaveProperty('to')
    expect(sent).not.toHaveProperty('views')
    expect(sent.view).toEqual(rows(2))
  })
})
