/**
 * The desktop engine host (electron/engine/host) as main drives it: contract clients on ports,
 * workers launched through main, exports streamed over a port, shutdown. Ports are Node's
 * MessageChannel behind MessagePortMain's event shape; the parent port is a recorder.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { runEngineHost, type HostServices } from '../../../electron/engine/host/engine-host'
import { streamExportToPort } from '../../../electron/engine/host/export-port'
import type { PortEvent } from '../../../electron/engine/host/ports'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../fakes'
import { MainPort, MessageChannelMain, settle } from './electron-fake'

class FakeParent extends EventEmitter {
  readonly sent: unknown[] = []
  postMessage(m: unknown) {
    this.sent.push(m)
  }
  deliver(data: unknown, ports: MainPort[] = []) {
    this.emit('message', { data, ports } as unknown as PortEvent)
  }
}

function host() {
  const parent = new FakeParent()
  const sysnet = new FakeSysNet()
  sysnet.set('lo', 1000, 1000)
  sysnet.set('eth0', 5000, 2000)
  let monitor!: Monitor
  let services!: HostServices
  const h = runEngineHost(parent as never, (s) => {
    services = s
    return (monitor = new Monitor({ sysnet, tickMs: 50 }))
  })
  return { parent, sysnet, h, monitor, services }
}

function request(port: MainPort, id: number, method: string, params: unknown) {
  return new Promise<unknown>((resolve) => {
    const on = (e: { data: { kind: string; id: number; result: unknown } }) => {
      if (e.data.kind === 'response' && e.data.id === id) {
        port.off('message', on)
        resolve(e.data.result)
      }
    }
    port.on('message', on)
    port.start()
    port.postMessage({ id, method, params })
  })
}

describe('engine host', () => {
  it('answers the contract on a client port, pushes events, and refuses bad requests', async () => {
    const { parent, h } = host()
    expect(parent.sent[0]).toEqual({ type: 'ready' })
    const ch = new MessageChannelMain()
    parent.deliver({ type: 'client', name: 'renderer-1' }, [ch.port1])
    const info = await request(ch.port2, 1, 'app.info', {})
    expect(info).toMatchObject({ ok: true, value: { name: 'Flowscope', transport: 'ipc' } })
    const list = (await request(ch.port2, 2, 'interfaces.list', {})) as {
      value: Array<{ name: string }>
    }
    expect(list.value.map((i) => i.name).sort()).toEqual(['eth0', 'lo'])
    expect(await request(ch.port2, 3, 'no.such', {})).toMatchObject({
      ok: false,
      code: 'UNKNOWN_METHOD',
    })
    expect(await request(ch.port2, 4, 'capture.start', { iface: 42 })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    })
    const tick = await new Promise((resolve) =>
      ch.port2.on('message', (e: { data: { kind: string; event: string } }) => {
        if (e.data.kind === 'event' && e.data.event === 'bandwidth.tick') resolve(e.data)
      }),
    )
    expect(tick).toMatchObject({ kind: 'event', event: 'bandwidth.tick' })
    // A message that is not from main's vocabulary, or a client without a port, changes nothing.
    parent.deliver({ type: 'client' })
    parent.deliver({ type: 'spawn-shell' })
    parent.deliver({ type: 'shutdown' })
    await h.stopped
    ch.port2.close()
  })

  it('launches workers through main and talks to them over the port main hands back', async () => {
    const { parent, h } = host()
    const worker = h.launcher.launch('probe')
    expect(parent.sent.at(-1)).toEqual({ type: 'worker.spawn', id: 1, name: 'probe' })
    expect(worker.pid).toBeUndefined()
    worker.postMessage({ type: 'start', n: 1 }) // queued until the port arrives
    const received: unknown[] = []
    worker.onMessage((m) => received.push(m))
    const exits: Array<[number | null, string | null]> = []
    worker.onExit((c, r) => exits.push([c, r]))
    const ch = new MessageChannelMain()
    const atWorker: unknown[] = []
    ch.port2.on('message', (e: { data: unknown }) => atWorker.push(e.data))
    ch.port2.start()
    parent.deliver({ type: 'worker.port', id: 1, pid: 4242 }, [ch.port1])
    expect(worker.pid).toBe(4242)
    ch.port2.postMessage({ type: 'started' })
    await settle()
    expect(atWorker).toEqual([{ type: 'start', n: 1 }])
    expect(received).toEqual([{ type: 'started' }])
    worker.kill()
    expect(parent.sent.at(-1)).toEqual({ type: 'worker.kill', id: 1 })
    parent.deliver({ type: 'worker.exit', id: 1, code: null, reason: 'killed' })
    expect(exits).toEqual([[null, 'killed']])
    expect(h.launcher.live).toBe(0)
    // A port for a worker nobody waits for any more is closed, which ends that worker.
    const late = new MessageChannelMain()
    parent.deliver({ type: 'worker.port', id: 99, pid: 1 }, [late.port1])
    expect(late.port1.closed).toBe(true)
    parent.deliver({ type: 'shutdown' })
    await h.stopped
    ch.port2.close()
    late.port2.close()
  })

  it('notifications from the engine (alerts) go to main, bounded in size', async () => {
    const { parent, services, h } = host()
    services.notifier.notify('Alert: eth0 rx above 100 Mbit/s', 'x'.repeat(10_000))
    const sent = parent.sent.at(-1) as { type: string; title: string; body: string }
    expect(sent).toMatchObject({ type: 'notify', title: 'Alert: eth0 rx above 100 Mbit/s' })
    expect(sent.body).toHaveLength(4096)
    parent.deliver({ type: 'shutdown' })
    await h.stopped
  })
})

describe('export over a port', () => {
  const download = (chunks: string[]) => ({
    filename: 'flowscope-conversation-2026.csv',
    contentType: 'text/csv; charset=utf-8',
    chunks: async function* () {
      yield* chunks
    },
  })

  it('sends the head, then one chunk per pull, then end: every byte in order', async () => {
    const ch = new MessageChannelMain()
    const got: Array<{ type: string; data?: Uint8Array }> = []
    ch.port2.on('message', (e: { data: { type: string } }) => got.push(e.data))
    ch.port2.start()
    const chunks = ['a,b\n', '1,2\n', '3,4\n']
    streamExportToPort(ch.port1, download(chunks))
    await settle()
    expect(got).toEqual([
      {
        type: 'head',
        contentType: 'text/csv; charset=utf-8',
        filename: 'flowscope-conversation-2026.csv',
      },
    ])
    ch.port2.postMessage({ type: 'pull' })
    await settle()
    expect(got).toHaveLength(2) // one pull, one chunk: nothing runs ahead
    for (let i = 0; i < 5; i++) ch.port2.postMessage({ type: 'pull' })
    await settle()
    const body = Buffer.concat(got.filter((m) => m.type === 'chunk').map((m) => m.data!)).toString()
    expect(body).toBe(chunks.join(''))
    expect(got.at(-1)).toEqual({ type: 'end' })
  })

  it('an unknown ticket is a 404; cancel stops the export', async () => {
    const ch = new MessageChannelMain()
    const got: unknown[] = []
    ch.port2.on('message', (e: { data: unknown }) => got.push(e.data))
    ch.port2.start()
    streamExportToPort(ch.port1, null)
    await settle()
    expect(got).toEqual([{ type: 'error', status: 404, message: 'unknown or expired export' }])

    const c2 = new MessageChannelMain()
    c2.port2.start()
    let produced = 0
    let signal: AbortSignal | undefined
    let returned = false
    const endless = {
      ...download([]),
      chunks: async function* (s?: AbortSignal) {
        signal = s
        try {
          for (;;) {
            produced++
            yield 'x'.repeat(1000)
          }
        } finally {
          returned = true
        }
      },
    }
    streamExportToPort(c2.port1, endless)
    c2.port2.postMessage({ type: 'pull' })
    c2.port2.postMessage({ type: 'pull' })
    await settle()
    c2.port2.postMessage({ type: 'cancel' })
    await settle()
    expect(signal?.aborted).toBe(true)
    expect(returned).toBe(true)
    expect(produced).toBeLessThanOrEqual(3) // two pulls: nothing ran ahead
    c2.port2.close()
    ch.port2.close()
  })
})
