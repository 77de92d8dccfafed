/** Main's own contract client against the engine host's port server. */
import { describe, expect, it } from 'vitest'
import { serveClientPort } from '../../../electron/engine/host/client-port'
import { ControlClient } from '../../../electron/main/control-client'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'
import { MessageChannelMain, settle } from './electron-fake'

function engine() {
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0, 0)
  const monitor = new Monitor({ sysnet })
  const ch = new MessageChannelMain()
  const close = serveClientPort(ch.port1, monitor.handlers, monitor.events)
  return { monitor, port: ch.port2, close }
}

describe('control client', () => {
  it('invokes through the contract, checks results, and receives validated events', async () => {
    const { monitor, port, close } = engine()
    const client = new ControlClient()
    expect(await client.invoke('app.info', {})).toMatchObject({ ok: false, code: 'UNAVAILABLE' })
    client.attach(port as never)
    expect(await client.invoke('capture.state', {})).toEqual({
      ok: true,
      value: {
        active: false,
        iface: null,
        filter: null,
        started_at: null,
        error: null,
        resolve: true,
      },
    })
    expect(await client.invoke('probes.start', { targets: [] } as never)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    })
    const names: string[][] = []
    client.on('interfaces.changed', (p) => names.push(p.names))
    monitor.events.emit('interfaces.changed', { names: ['eth0'] })
    monitor.events.emit('interfaces.changed', { names: 'not-a-list' } as never)
    await settle()
    expect(names).toEqual([['eth0']])
    close()
    port.close()
  })

  it('a new port (engine restarted) fails what was pending on the old one', async () => {
    const client = new ControlClient()
    const silent = new MessageChannelMain()
    client.attach(silent.port2 as never)
    const pending = client.invoke('app.info', {})
    const { port, close } = engine()
    client.attach(port as never)
    expect(await pending).toEqual({ ok: false, code: 'UNAVAILABLE', message: 'engine restarted' })
    expect(await client.invoke('app.info', {})).toMatchObject({ ok: true })
    close()
    port.close()
    silent.port1.close()
  })
})
