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
