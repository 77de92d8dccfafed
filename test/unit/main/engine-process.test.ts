/**
 * Main's side of the engine host: it starts the engine host and the workers it asks for as
 * utility processes, pairs them with a MessageChannelMain, and restarts a dying engine host with
 * backoff (killing the workers that belonged to it).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { EngineProcess } = await import('../../../electron/main/engine-process')
const { Backoff } = await import('../../../electron/main/backoff')

const entries = {
  engineEntry: '/app/out/main/engine.js',
  workerEntry: (name: string) => `/app/out/main/${name}.js`,
}

beforeEach(() => fake.resetFake('/nonexistent'))
afterEach(() => vi.useRealTimers())

function started(e: InstanceType<typeof EngineProcess>) {
  e.start()
  const proc = fake.state.processes.at(-1)!
  proc.send({ type: 'ready' })
  return proc
}

describe('engine process', () => {
  it('runs the engine host as a utility process and connects clients only once it is ready', () => {
    const e = new EngineProcess(entries)
    e.start()
    const proc = fake.state.processes[0]!
    expect(proc.modulePath).toBe('/app/out/main/engine.js')
    expect(proc.options.serviceName).toBe('flowscope-engine')
    const early = new fake.MessageChannelMain()
    expect(e.connect('renderer-1', early.port1 as never)).toBe(false)
    expect(early.port1.closed).toBe(true)
    const ready = vi.fn()
    e.on('ready', ready)
    proc.send({ type: 'ready' })
    expect(ready).toHaveBeenCalledOnce()
    const ch = new fake.MessageChannelMain()
    expect(e.connect('renderer-1', ch.port1 as never)).toBe(true)
    expect(proc.posted.at(-1)).toEqual({
      message: { type: 'client', name: 'renderer-1' },
      ports: [ch.port1],
    })
    // Malformed messages from the engine host are ignored.
    proc.send({ type: 'worker.spawn', id: 'x', name: 'rootkit' })
    proc.send(null)
    expect(fake.state.processes).toHaveLength(1)
    ch.port2.close()
  })

  it('starts a worker on request and gives it and the engine host the two ends of one channel', async () => {
    const e = new EngineProcess(entries)
    const engine = started(e)
    engine.send({ type: 'worker.spawn', id: 7, name: 'capture' })
    const worker = fake.state.processes[1]!
    expect(worker.modulePath).toBe('/app/out/main/capture.js')
    expect(worker.options.serviceName).toBe('flowscope-capture')
    worker.emit('spawn')
    // The worker's first message carries its port; the engine host gets the other end + pid.
    expect(worker.posted[0]!.message).toEqual({ type: 'connect' })
    const toEngine = engine.posted.at(-1)!
    expect(toEngine.message).toEqual({ type: 'worker.port', id: 7, pid: worker.pid })
    const workerEnd = worker.posted[0]!.ports[0]!
    const engineEnd = toEngine.ports[0]!
    const got = new Promise((resolve) => engineEnd.once('message', (m) => resolve(m.data)))
    engineEnd.start()
    workerEnd.postMessage({ type: 'started' })
    expect(await got).toEqual({ type: 'started' })
    // Exit is reported with its code; a kill asked by the engine host says so.
    worker.exit(3)
    expect(engine.posted.at(-1)!.message).toEqual({
      type: 'worker.exit',
      id: 7,
      code: 3,
      reason: 'exited with code 3',
    })
    engine.send({ type: 'worker.spawn', id: 8, name: 'probe' })
    const probe = fake.state.processes[2]!
    expect(probe.modulePath).toBe('/app/out/main/probe.js')
    engine.send({ type: 'worker.kill', id: 8 })
    expect(probe.killed).toBe(true)
    await fake.settle()
    expect(engine.posted.at(-1)!.message).toMatchObject({
      type: 'worker.exit',
      id: 8,
      reason: 'killed',
    })
    workerEnd.close()
    engineEnd.close()
  })

  it('restarts a crashed engine host with doubling delays and kills its orphaned workers', () => {
    vi.useFakeTimers()
    let now = 0
    const e = new EngineProcess({ ...entries, backoff: new Backoff(500, 4000, 60_000, () => now) })
    const exits: number[] = []
    e.on('exit', (c) => exits.push(c))
    let engine = started(e)
    engine.send({ type: 'worker.spawn', id: 1, name: 'capture' })
    const worker = fake.state.processes[1]!
    const forks = () =>
      fake.state.processes.filter((p) => p.modulePath.endsWith('engine.js')).length
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      engine.exit(139)
      const before = forks()
      let waited = 0
      while (forks() === before) {
        vi.advanceTimersByTime(100)
        waited += 100
      }
      delays.push(waited)
      engine = fake.state.processes.at(-1)!
      engine.send({ type: 'ready' })
      now += 1000 // each run lasts 1 s: a crash loop
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000])
    expect(exits).toEqual([139, 139, 139, 139, 139])
    expect(worker.killed).toBe(true)
    // A run that lasted a minute resets the delay.
    now += 60_000
    engine.exit(1)
    vi.advanceTimersByTime(499)
    const before = forks()
    vi.advanceTimersByTime(1)
    expect(forks()).toBe(before + 1)
  })

  it('stop asks the engine host to shut down and does not restart it', async () => {
    vi.useFakeTimers()
    const e = new EngineProcess(entries)
    const engine = started(e)
    const stopping = e.stop(5000)
    expect(engine.posted.at(-1)!.message).toEqual({ type: 'shutdown' })
    engine.exit(0)
    await stopping
    vi.advanceTimersByTime(60_000)
    expect(fake.state.processes).toHaveLength(1)
    // One that does not exit in time is killed.
    const e2 = new EngineProcess(entries)
    const stuck = started(e2)
    const p = e2.stop(5000)
    vi.advanceTimersByTime(5000)
    await p
    expect(stuck.killed).toBe(true)
  })
})
