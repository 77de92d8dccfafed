import { describe, expect, it } from 'vitest'
import { invokeSchemas } from '../../../common/contract'
import { dispatch, EngineError } from '../../../electron/engine/api'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'

const ctx = { transport: 'ipc' as const }

describe('dispatch', () => {
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  const monitor = new Monitor({ sysnet })

  it('answers a valid request with a result that matches the contract', async () => {
    const r = await dispatch(monitor.handlers, 'app.info', {}, ctx)
    expect(r.ok).toBe(true)
    if (r.ok)
      expect(invokeSchemas['app.info'].result.parse(r.value)).toMatchObject({
        name: 'Flowscope',
        transport: 'ipc',
      })
  })

  it('returns errors as data', async () => {
    expect(await dispatch(monitor.handlers, 'no.such', {}, ctx)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_METHOD',
    })
    expect(await dispatch(monitor.handlers, '__proto__', {}, ctx)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_METHOD',
    })
    expect(await dispatch(monitor.handlers, 'app.info', { extra: 1 }, ctx)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    })
    expect(await dispatch(monitor.handlers, 'app.info', 'text', ctx)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    })
  })

  it('turns handler failures into codes, never throws', async () => {
    const handlers = {
      ...monitor.handlers,
      'interfaces.list': () => {
        throw new EngineError('PERMISSION_DENIED', 'no access')
      },
      'bandwidth.history': () => {
        throw new TypeError('boom')
      },
    }
    expect(await dispatch(handlers, 'interfaces.list', {}, ctx)).toEqual({
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'no access',
    })
    expect(await dispatch(handlers, 'bandwidth.history', {}, ctx)).toEqual({
      ok: false,
      code: 'INTERNAL',
      message: 'boom',
    })
  })
})

describe('Monitor', () => {
  it('publishes ticks and interface changes', () => {
    const sysnet = new FakeSysNet()
    let now = 0
    const monitor = new Monitor({ sysnet, now: () => now })
    const ticks: number[] = []
    const changes: string[][] = []
    monitor.events.on('bandwidth.tick', (t) =>
      ticks.push(t.interfaces.find((i) => i.name === 'eth0')?.rx.current_bps ?? -1),
    )
    monitor.events.on('interfaces.changed', (c) => changes.push(c.names))
    sysnet.set('eth0', 0)
    monitor.sample()
    now = 1000
    sysnet.set('eth0', 5000)
    sysnet.set('veth1', 0)
    monitor.sample()
    expect(ticks).toEqual([0, 5000])
    expect(changes).toEqual([['eth0'], ['eth0', 'veth1']])
  })

  it('keeps ticking through a failed read', () => {
    const sysnet = new FakeSysNet()
    const monitor = new Monitor({ sysnet })
    sysnet.readCounters = () => {
      throw new Error('EIO')
    }
    expect(() => monitor.sample()).not.toThrow()
    expect(monitor.error).toBe('EIO')
  })
})
