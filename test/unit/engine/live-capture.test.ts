import { describe, expect, it } from 'vitest'
import type { CaptureState, CaptureTick } from '../../../common/contract'
import { dispatch } from '../../../electron/engine/api'
import { EventBus } from '../../../electron/engine/events'
import { LiveCapture } from '../../../electron/engine/live-capture'
import { Monitor } from '../../../electron/engine/monitor'
import type { FlowDelta } from '../../../electron/shared/capture/pipeline'
import { FakeSysNet } from '../fakes'
import { EMPTY_SNAPSHOT, fakeLauncher, tick } from './fake-worker'

const snapshot = EMPTY_SNAPSHOT

const delta: FlowDelta = {
  protocol: 'udp',
  address_a: '10.0.0.1',
  port_a: 1000,
  address_b: '10.0.0.2',
  port_b: 53,
  packets_a_to_b: 1,
  bytes_a_to_b: 60,
  packets_b_to_a: 0,
  bytes_b_to_a: 0,
  retransmissions: 0,
  first_seen_us: 1,
  last_seen_us: 1,
  handshake_rtt_ms: null,
  ended: false,
}

const STARTED = { kind: 'live', link_type: 1, link_type_name: 'EN10MB' }

function setup(auto: Parameters<typeof fakeLauncher>[0] = { started: STARTED }, recording = true) {
  const fake = fakeLauncher(auto)
  const filed: FlowDelta[] = []
  const monitor = new Monitor({
    sysnet: new FakeSysNet(),
    launcher: fake.launcher,
    restart: { baseDelayMs: 5 },
    history: () =>
      ({
        status: () => ({ path: '', recording, failure: null }),
        recordFlows: (d: readonly FlowDelta[]) => filed.push(...d),
        close: () => {},
      }) as never,
  })
  const states: CaptureState[] = []
  const ticks: CaptureTick[] = []
  monitor.events.on('capture.state', (s) => states.push(s))
  monitor.events.on('capture.tick', (t) => ticks.push(t))
  return { monitor, fake, states, ticks, filed }
}

const ctx = { transport: 'websocket' as const }

describe('live capture through the contract', () => {
  it('starts, republishes ticks as events, files deltas, and stops the worker', async () => {
    const { monitor, fake, states, ticks, filed } = setup()
    expect(await dispatch(monitor.handlers, 'capture.start', { iface: 'eth0' }, ctx)).toMatchObject(
      { ok: true, value: { active: true, iface: 'eth0', error: null } },
    )
    const w = fake.workers[0]!
    expect(w.posted[0]).toMatchObject({
      type: 'start',
      source: { kind: 'live', iface: 'eth0' },
      record: true,
    })
    w.reply({
      type: 'tick',
      seq: 1,
      snapshot,
      stats: { received: 3, dropped_kernel: 0, dropped_interface: 0 },
      skipped: 0,
      deltas: [delta],
      deltas_dropped: 0,
    })
    expect(ticks).toHaveLength(1)
    expect(ticks[0]).toMatchObject({ iface: 'eth0', health: { received: 3 } })
    expect(filed).toEqual([delta])
    expect(w.posted.at(-1)).toEqual({ type: 'ack', seq: 1 })
    expect(await dispatch(monitor.handlers, 'capture.stop', {}, ctx)).toMatchObject({
      ok: true,
      value: { active: false },
    })
    expect(w.exited).not.toBeNull()
    expect(states.map((s) => s.active)).toEqual([true, false])
  })

  it('asks the worker for no deltas while history is off', async () => {
    const { monitor, fake } = setup(undefined, false)
    await monitor.capture.start('eth0')
    expect(fake.workers[0]!.posted[0]).toMatchObject({ type: 'start', record: false })
    await monitor.stop()
  })

  it('returns a refused capture as data with the advice, and keeps it in the state', async () => {
    const { monitor, fake } = setup({ started: false })
    const started = dispatch(monitor.handlers, 'capture.start', { iface: 'eth0' }, ctx)
    await tick()
    fake.workers[0]!.reply({
      type: 'error',
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'eth0: needs CAP_NET_RAW: run as root',
    })
    fake.workers[0]!.exit(0, null)
    expect(await started).toEqual({
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'eth0: needs CAP_NET_RAW: run as root',
    })
    expect(await dispatch(monitor.handlers, 'capture.state', {}, ctx)).toMatchObject({
      ok: true,
      value: { active: false, error: { code: 'PERMISSION_DENIED' } },
    })
    expect(fake.workers).toHaveLength(1) // a refusal is not a crash: no restart
  })

  it('a bad BPF filter is a bad request', async () => {
    const { monitor, fake } = setup({ started: false })
    const first = dispatch(
      monitor.handlers,
      'capture.start',
      { iface: 'eth0', filter: 'tcp port' },
      ctx,
    )
    await tick()
    fake.workers[0]!.reply({ type: 'error', ok: false, code: 'BAD_FILTER', message: 'bad filter' })
    expect(await first).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('serialises concurrent starts and stops: at most one worker, and the events tell the truth', async () => {
    const { monitor, fake, states } = setup()
    const calls = [
      monitor.capture.start('a'),
      monitor.capture.stop(),
      monitor.capture.start('b'),
      monitor.capture.start('c'),
    ]
    let most = 0
    const watch = setInterval(() => (most = Math.max(most, fake.alive().length)), 0)
    await Promise.all(calls)
    clearInterval(watch)
    expect(most).toBeLessThanOrEqual(1)
    expect(fake.alive().map((w) => w.posted[0])).toMatchObject([{ source: { iface: 'c' } }])
    expect(states.map((s) => `${s.iface}:${s.active}`)).toEqual([
      'a:true',
      'a:false',
      'b:true',
      'b:false',
      'c:true',
    ])
    await monitor.stop()
    expect(fake.alive()).toHaveLength(0)
  })

  it('reports a crash with its reason, restarts, and says when it runs again', async () => {
    const { monitor, fake, states } = setup()
    await monitor.capture.start('eth0')
    fake.workers[0]!.kill()
    expect(states.at(-1)).toMatchObject({
      active: false,
      iface: 'eth0',
      error: {
        code: 'WORKER_CRASHED',
        message: 'the capture worker was killed by SIGKILL; restarting in 0.005 s (attempt 1)',
      },
    })
    for (let i = 0; i < 50 && !states.at(-1)!.active; i++)
      await new Promise((r) => setTimeout(r, 5))
    expect(states.at(-1)).toMatchObject({ active: true, iface: 'eth0', error: null })
    expect(fake.alive()).toHaveLength(1)
    expect(fake.workers[1]!.posted[0]).toEqual(fake.workers[0]!.posted[0])
    await monitor.stop()
  })

  it('restarts a crashed worker with the flow export setting as it is now', async () => {
    const fake = fakeLauncher({ started: STARTED })
    const collector = (port: number) => ({
      collectors: [
        { protocol: 'ipfix' as const, transport: 'udp' as const, host: '127.0.0.1', port, url: '' },
      ],
    })
    let exp: ReturnType<typeof collector> | null = collector(4739)
    const live = new LiveCapture(new EventBus(), {
      launcher: fake.launcher,
      restart: { baseDelayMs: 5 },
      export: () => exp,
    })
    await live.start('eth0')
    expect(fake.workers[0]!.posted[0]).toMatchObject({ export: collector(4739) })
    fake.workers[0]!.kill()
    // Changed while the worker waits to restart (restart() does nothing then: not active).
    exp = collector(2055)
    for (let i = 0; i < 50 && fake.workers.length < 2; i++)
      await new Promise((r) => setTimeout(r, 5))
    await tick()
    expect(fake.workers[1]!.posted[0]).toMatchObject({ type: 'start', export: collector(2055) })
    fake.workers[1]!.kill()
    exp = null // export turned off meanwhile
    for (let i = 0; i < 50 && fake.workers.length < 3; i++)
      await new Promise((r) => setTimeout(r, 5))
    await tick()
    expect(fake.workers[2]!.posted[0]).toMatchObject({ type: 'start', source: { iface: 'eth0' } })
    expect(fake.workers[2]!.posted[0]).not.toHaveProperty('export')
    await live.stop()
  })
})
