import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { CaptureSnapshot } from '../../../common/capture'
import type { CaptureState, CaptureTick } from '../../../common/contract'
import { dispatch } from '../../../electron/engine/api'
import type { CaptureClient } from '../../../electron/engine/capture/client'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'

/** Stands in for a capture worker: the test decides when it starts, ticks or fails. */
class FakeClient extends EventEmitter {
  stopped = false
  async stop() {
    this.stopped = true
    this.emit('exit', 0, null)
    return {
      type: 'error' as const,
      ok: false as const,
      code: 'CAPTURE_FAILED',
      message: 'stopped',
    }
  }
}

const snapshot = {
  time_us: 1,
  start_us: 0,
  link_type: 1,
  link_type_name: 'EN10MB',
  packets: 3,
  bytes: 180,
  by_protocol: {},
  rates_bps: { s2: 1, s10: 1, s40: 1 },
  peak_bps: 1,
  malformed: {},
  malformed_total: 0,
  flows_active: 0,
  flows_evicted: 0,
  flows_expired: 0,
  conversations: [],
} satisfies CaptureSnapshot

function setup() {
  const clients: FakeClient[] = []
  const monitor = new Monitor({
    sysnet: new FakeSysNet(),
    launchCapture: () => {
      const c = new FakeClient()
      clients.push(c)
      return c as unknown as CaptureClient
    },
  })
  const states: CaptureState[] = []
  const ticks: CaptureTick[] = []
  monitor.events.on('capture.state', (s) => states.push(s))
  monitor.events.on('capture.tick', (t) => ticks.push(t))
  return { monitor, clients, states, ticks }
}

const ctx = { transport: 'websocket' as const }

describe('live capture through the contract', () => {
  it('starts, republishes ticks as events, and stops the worker', async () => {
    const { monitor, clients, states, ticks } = setup()
    const started = dispatch(monitor.handlers, 'capture.start', { iface: 'eth0' }, ctx)
    await Promise.resolve()
    clients[0]!.emit('started', {
      type: 'started',
      kind: 'live',
      link_type: 1,
      link_type_name: 'EN10MB',
    })
    expect(await started).toMatchObject({
      ok: true,
      value: { active: true, iface: 'eth0', error: null },
    })
    clients[0]!.emit('tick', {
      type: 'tick',
      seq: 0,
      snapshot,
      stats: { received: 3, dropped_kernel: 0, dropped_interface: 0 },
      skipped: 0,
    })
    expect(ticks).toHaveLength(1)
    expect(ticks[0]).toMatchObject({ iface: 'eth0', health: { received: 3 } })
    expect(await dispatch(monitor.handlers, 'capture.stop', {}, ctx)).toMatchObject({
      ok: true,
      value: { active: false },
    })
    expect(clients[0]!.stopped).toBe(true)
    expect(states.at(-1)!.active).toBe(false)
  })

  it('returns a refused capture as data with the advice, and keeps it in the state', async () => {
    const { monitor, clients } = setup()
    const started = dispatch(monitor.handlers, 'capture.start', { iface: 'eth0' }, ctx)
    await Promise.resolve()
    clients[0]!.emit('failure', {
      type: 'error',
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'eth0: needs CAP_NET_RAW: run as root',
    })
    expect(await started).toEqual({
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'eth0: needs CAP_NET_RAW: run as root',
    })
    const state = await dispatch(monitor.handlers, 'capture.state', {}, ctx)
    expect(state).toMatchObject({
      ok: true,
      value: { active: false, error: { code: 'PERMISSION_DENIED' } },
    })
  })

  it('a bad BPF filter is a bad request; a second start replaces the first capture', async () => {
    const { monitor, clients } = setup()
    const first = dispatch(
      monitor.handlers,
      'capture.start',
      { iface: 'eth0', filter: 'tcp port' },
      ctx,
    )
    await Promise.resolve()
    clients[0]!.emit('failure', {
      type: 'error',
      ok: false,
      code: 'BAD_FILTER',
      message: 'bad filter',
    })
    expect(await first).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    const second = dispatch(monitor.handlers, 'capture.start', { iface: 'lo' }, ctx)
    await Promise.resolve()
    clients[1]!.emit('started', {})
    await second
    const third = dispatch(monitor.handlers, 'capture.start', { iface: 'eth0' }, ctx)
    await new Promise((r) => setTimeout(r, 0))
    expect(clients[1]!.stopped).toBe(true)
    clients[2]!.emit('started', {})
    expect(await third).toMatchObject({ ok: true, value: { iface: 'eth0' } })
  })
})
