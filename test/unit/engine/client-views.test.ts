/**
 * Each client's own Connections view in the engine: `capture.view` is kept per connection
 * (CallContext.client), all of them go to the worker by client id (start, changes, restart after
 * a crash, a new capture), a closed connection's view is dropped, the number of views is bounded,
 * and each desktop port is sent only its own rows.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_VIEW, type ConnectionsView } from '../../../common/capture'
import type { CaptureTick } from '../../../common/contract'
import { ClientCalls, dispatch, type CallContext } from '../../../electron/engine/api'
import { serveClientPort } from '../../../electron/engine/host/client-port'
import { Monitor } from '../../../electron/engine/monitor'
import { MAX_VIEWS } from '../../../electron/shared/protocol/capture'
import { FakeSysNet } from '../fakes'
import { MessageChannelMain } from '../main/electron-fake'
import { EMPTY_SNAPSHOT, fakeLauncher, tick } from './fake-worker'

const snapshot = EMPTY_SNAPSHOT

const view = (v: Partial<ConnectionsView>): ConnectionsView => ({ ...DEFAULT_VIEW, ...v })
const rows = (flows: number) => ({ flows, matched: flows, offset: 0, rows: [], selected: null })
const workerTick = (seq: number, extra: object) => ({
  type: 'tick',
  seq,
  snapshot,
  stats: null,
  skipped: 0,
  deltas: null,
  deltas_dropped: 0,
  ...extra,
})

function setup() {
  const fake = fakeLauncher({ started: { kind: 'live', link_type: 1, link_type_name: 'EN10MB' } })
  const monitor = new Monitor({
    sysnet: new FakeSysNet(),
    launcher: fake.launcher,
    restart: { baseDelayMs: 5 },
  })
  const ticks: CaptureTick[] = []
  monitor.events.on('capture.tick', (t) => ticks.push(t))
  return { monitor, fake, ticks }
}

const client = (calls: ClientCalls): CallContext => ({
  transport: 'websocket',
  client: calls.client,
})
const viewMessages = (posted: Array<{ type: string }>) => posted.filter((m) => m.type === 'view')

describe('a Connections view per client', () => {
  it('sends every client view to the worker by id and drops a closed connection’s', async () => {
    const { monitor, fake, ticks } = setup()
    const one = new ClientCalls()
    const two = new ClientCalls()
    expect(one.client.id).not.toBe(two.client.id)
    const v1 = view({ sort: 'rate2', limit: 5 })
    const v2 = view({ sort: 'b', descending: false, filter: ':5201' })
    // Set before any capture: kept for the start message.
    expect(await dispatch(monitor.handlers, 'capture.view', v1, client(one))).toEqual({
      ok: true,
      value: { ok: true },
    })
    await monitor.capture.start('eth0')
    const w = fake.workers[0]!
    expect(w.posted[0]).toMatchObject({ type: 'start', views: { [one.client.id]: v1 } })
    await dispatch(monitor.handlers, 'capture.view', v2, client(two))
    expect(viewMessages(w.posted).at(-1)).toEqual({
      type: 'view',
      views: { [one.client.id]: v1, [two.client.id]: v2 },
    })
    // The worker's results by id ride on the engine's tick as they are.
    w.reply(workerTick(1, { views: { [one.client.id]: rows(5), [two.client.id]: rows(1) } }))
    expect(ticks.at(-1)!.views).toEqual({ [one.client.id]: rows(5), [two.client.id]: rows(1) })
    w.reply(workerTick(2, { views: { [two.client.id]: rows(2) }, to: [two.client.id] }))
    expect(ticks.at(-1)).toMatchObject({ to: [two.client.id], views: { [two.client.id]: rows(2) } })
    // The first connection closes: the worker is told the set without it.
    one.cancelAll()
    expect(viewMessages(w.posted).at(-1)).toEqual({ type: 'view', views: { [two.client.id]: v2 } })
    expect(monitor.capture.viewClients()).toEqual([two.client.id])
    // A late view from a closed connection is not kept.
    await dispatch(monitor.handlers, 'capture.view', v1, client(one))
    expect(monitor.capture.viewClients()).toEqual([two.client.id])
    // A new capture (BPF change) keeps every live client's view.
    await monitor.capture.start('eth0', 'tcp')
    expect(fake.workers[1]!.posted[0]).toMatchObject({
      type: 'start',
      source: { filter: 'tcp' },
      views: { [two.client.id]: v2 },
    })
    expect(fake.workers[1]!.posted[0]).not.toHaveProperty(`views.${one.client.id}`)
    two.cancelAll()
    expect(viewMessages(fake.workers[1]!.posted).at(-1)).toEqual({ type: 'view', views: {} })
    await monitor.stop()
  })

  it('restarts a crashed worker with the views as they are now', async () => {
    const { monitor, fake } = setup()
    const one = new ClientCalls()
    const two = new ClientCalls()
    await dispatch(monitor.handlers, 'capture.view', view({ limit: 7 }), client(one))
    await monitor.capture.start('eth0')
    await dispatch(monitor.handlers, 'capture.view', view({ limit: 9 }), client(two))
    one.cancelAll()
    fake.workers[0]!.kill()
    for (let i = 0; i < 50 && fake.workers.length < 2; i++)
      await new Promise((r) => setTimeout(r, 5))
    await tick()
    const restart = fake.workers[1]!.posted[0] as { views?: object }
    expect(restart).toMatchObject({ type: 'start', source: { iface: 'eth0' } })
    expect(restart.views).toEqual({ [two.client.id]: view({ limit: 9 }) })
    await monitor.stop()
  })

  it(`refuses a view for one client more than ${MAX_VIEWS}, and takes one once a client goes`, async () => {
    const { monitor } = setup()
    const clients = Array.from({ length: MAX_VIEWS }, () => new ClientCalls())
    for (const c of clients)
      expect(await dispatch(monitor.handlers, 'capture.view', view({}), client(c))).toMatchObject({
        ok: true,
      })
    // A client that already has one may change it.
    expect(
      await dispatch(monitor.handlers, 'capture.view', view({ limit: 3 }), client(clients[0]!)),
    ).toMatchObject({ ok: true })
    const extra = new ClientCalls()
    const refused = await dispatch(monitor.handlers, 'capture.view', view({}), client(extra))
    expect(refused).toEqual({
      ok: false,
      code: 'UNAVAILABLE',
      message: `at most ${MAX_VIEWS} clients may have a Connections view at once; close another page or tab`,
    })
    clients[5]!.cancelAll()
    expect(await dispatch(monitor.handlers, 'capture.view', view({}), client(extra))).toMatchObject(
      { ok: true },
    )
    expect(monitor.capture.viewClients()).toHaveLength(MAX_VIEWS)
  })
})

describe('desktop ports', () => {
  it("each port is sent its own view's rows, one without a view none; a closed port's view goes", async () => {
    const { monitor, fake } = setup()
    await monitor.capture.start('eth0')
    const w = fake.workers[0]!
    const ports = [0, 1, 2].map(() => {
      const ch = new MessageChannelMain()
      const close = serveClientPort(ch.port1, monitor.handlers, monitor.events)
      const got: Array<{ kind: string; event?: string; payload?: Record<string, unknown> }> = []
      ch.port2.on('message', (e: { data: (typeof got)[number] }) => got.push(e.data))
      ch.port2.start()
      return { ch, close, got }
    })
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 5))
    }
    ports[0]!.ch.port2.postMessage({ id: 1, method: 'capture.view', params: view({ limit: 5 }) })
    ports[1]!.ch.port2.postMessage({ id: 1, method: 'capture.view', params: view({ sort: 'b' }) })
    await until(() => monitor.capture.viewClients().length === 2)
    const [id0, id1] = monitor.capture.viewClients()
    w.reply(workerTick(1, { views: { [id0!]: rows(5), [id1!]: rows(1) } }))
    w.reply(workerTick(2, { views: { [id1!]: rows(2) }, to: [id1] }))
    const tickOf = (p: (typeof ports)[number]) =>
      p.got.filter((m) => m.event === 'capture.tick').map((m) => m.payload!)
    await until(() => ports.every((p) => tickOf(p).length >= 1) && tickOf(ports[1]!).length === 2)
    expect(tickOf(ports[0]!).map((t) => t.view)).toEqual([rows(5)])
    expect(tickOf(ports[1]!).map((t) => t.view)).toEqual([rows(1), rows(2)])
    expect(tickOf(ports[2]!)).toHaveLength(1)
    expect(tickOf(ports[2]!)[0]).not.toHaveProperty('view')
    for (const p of ports)
      for (const t of tickOf(p)) {
        expect(t).not.toHaveProperty('views')
        expect(t).not.toHaveProperty('to')
      }
    ports[0]!.ch.port2.close()
    await until(() => monitor.capture.viewClients().length === 1)
    expect(monitor.capture.viewClients()).toEqual([id1])
    expect(viewMessages(w.posted).at(-1)).toEqual({
      type: 'view',
      views: { [id1!]: view({ sort: 'b' }) },
    })
    for (const p of ports) p.close()
    await monitor.stop()
  })
})
