/**
 * window.flowscope over the engine port (the preload's bridge), against the real engine host
 * dispatch on the other end of a Node MessageChannel (the DOM MessagePort API the preload gets).
 */
import { MessageChannel } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { serveClientPort } from '../../../electron/engine/host/client-port'
import { createPortBridge, type BridgePort } from '../../../electron/preload/port-bridge'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'
import { MainPort } from '../main/electron-fake'

const closers: Array<() => void> = []
afterEach(() => closers.splice(0).forEach((c) => c()))

function engine() {
  const sysnet = new FakeSysNet()
  sysnet.set('lo', 0, 0)
  const monitor = new Monitor({ sysnet, tickMs: 1000 })
  const { port1, port2 } = new MessageChannel()
  const close = serveClientPort(new MainPort(port1), monitor.handlers, monitor.events)
  closers.push(close, () => port2.close())
  return { monitor, port: port2 as unknown as BridgePort }
}

describe('preload port bridge', () => {
  it('queues requests until the port arrives, then answers them through the contract', async () => {
    const bridge = createPortBridge()
    const early = bridge.api.invoke('app.info', {})
    const { port } = engine()
    bridge.attach(port)
    expect(await early).toMatchObject({ ok: true, value: { transport: 'ipc' } })
    expect(await bridge.api.invoke('interfaces.list', {})).toMatchObject({
      ok: true,
      value: [{ name: 'lo' }],
    })
  })

  it('delivers events to listeners until they unsubscribe', async () => {
    const bridge = createPortBridge()
    const { monitor, port } = engine()
    bridge.attach(port)
    const got: string[] = []
    const off = bridge.api.on('interfaces.changed', (p) => got.push(p.names.join(',')))
    monitor.events.emit('interfaces.changed', { names: ['eth0', 'lo'] })
    await new Promise((r) => setTimeout(r, 20))
    off()
    monitor.events.emit('interfaces.changed', { names: ['lo'] })
    await new Promise((r) => setTimeout(r, 20))
    expect(got).toEqual(['eth0,lo'])
  })

  it('a new port (engine restarted) fails requests in flight and carries on', async () => {
    const bridge = createPortBridge()
    const { port: silent } = (() => {
      const { port1, port2 } = new MessageChannel()
      closers.push(() => port1.close())
      return { port: port2 as unknown as BridgePort }
    })()
    bridge.attach(silent)
    const lost = bridge.api.invoke('app.info', {})
    const { port } = engine()
    bridge.attach(port)
    expect(await lost).toEqual({
      ok: false,
      code: 'UNAVAILABLE',
      message: 'the engine restarted; try again',
    })
    expect(await bridge.api.invoke('app.info', {})).toMatchObject({ ok: true })
  })
})
