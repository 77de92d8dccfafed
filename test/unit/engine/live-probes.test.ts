import { describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/api'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'

const ctx = { transport: 'ipc' as const }

describe('probes through the contract', () => {
  it('refuses malformed targets before starting anything', async () => {
    const monitor = new Monitor({ sysnet: new FakeSysNet() })
    const r = await dispatch(
      monitor.handlers,
      'probes.start',
      { targets: [{ target: 'udp://host-without-port' }] },
      ctx,
    )
    expect(r).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(r.ok ? '' : r.message).toMatch(/bad probe target/)
    expect(await dispatch(monitor.handlers, 'probes.state', {}, ctx)).toMatchObject({
      ok: true,
      value: { active: false, targets: [] },
    })
  })

  it('validates the request shape at the edge', async () => {
    const monitor = new Monitor({ sysnet: new FakeSysNet() })
    expect(await dispatch(monitor.handlers, 'probes.start', { targets: [] }, ctx)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    })
    expect(
      await dispatch(
        monitor.handlers,
        'probes.start',
        { targets: [{ target: 'icmp://x', interval_ms: 1 }] },
        ctx,
      ),
    ).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('history queries say when history is off', async () => {
    const monitor = new Monitor({ sysnet: new FakeSysNet() })
    const r = await dispatch(monitor.handlers, 'history.status', {}, ctx)
    expect(r).toMatchObject({ ok: false, code: 'UNAVAILABLE' })
  })
})
