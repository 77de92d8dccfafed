import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  WorkerHost,
  WorkerStartError,
  type WorkerStatus,
} from '../../../electron/engine/workers/host'
import {
  StopMessage,
  AckMessage,
  TickGate,
  WorkerFailure,
  tickFields,
} from '../../../electron/shared/protocol/worker'
import { fakeLauncher, tick } from './fake-worker'

const From = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started') }),
  z.object({ type: z.literal('tick'), ...tickFields, value: z.number() }),
  WorkerFailure,
  z.object({ type: z.literal('ended'), total: z.number() }),
])
type Start = { type: 'start'; n: number }
type From = z.infer<typeof From>
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function host(opts: ConstructorParameters<typeof WorkerHost<Start, From>>[2] = {}) {
  const fake = fakeLauncher({ ended: { total: 1 } })
  const h = new WorkerHost<Start, From>('capture', From, { launcher: fake.launcher, ...opts })
  const states: WorkerStatus[] = []
  h.on('state', (s) => states.push(s))
  return { h, fake, states }
}

describe('WorkerHost', () => {
  it('start resolves when the worker runs; ticks are validated and acknowledged; stop waits for the exit', async () => {
    const { h, fake, states } = host()
    const started = await h.start({ type: 'start', n: 1 })
    expect(started).toEqual({ type: 'started' })
    const w = fake.workers[0]!
    expect(w.posted[0]).toEqual({ type: 'start', n: 1 })
    const ticks: number[] = []
    h.on('tick', (t) => ticks.push(t.value))
    w.reply({ type: 'tick', seq: 1, skipped: 0, value: 7 })
    expect(ticks).toEqual([7])
    expect(w.posted.at(-1)).toEqual(AckMessage.parse({ type: 'ack', seq: 1 }))
    const last = await h.stop()
    expect(last).toEqual({ type: 'ended', total: 1 })
    expect(w.exited).toEqual({ code: 0, reason: null })
    expect(w.posted.some((m) => StopMessage.safeParse(m).success)).toBe(true)
    expect(states.map((s) => s.state)).toEqual(['starting', 'running', 'stopped'])
  })

  it('a failure before start rejects with it, as data, and does not restart', async () => {
    const fake = fakeLauncher({ started: false })
    const h = new WorkerHost<Start, From>('capture', From, { launcher: fake.launcher })
    const p = h.start({ type: 'start', n: 1 })
    await tick()
    fake.workers[0]!.reply({ type: 'error', ok: false, code: 'PERMISSION_DENIED', message: 'no' })
    fake.workers[0]!.exit(0, null)
    const err = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WorkerStartError)
    expect((err as WorkerStartError).failure.code).toBe('PERMISSION_DENIED')
    await h.done
    expect(fake.workers).toHaveLength(1)
    expect(h.state).toEqual({ state: 'failed', reason: 'no' })
  })

  it('restarts a crashed worker with exponential backoff, resets after a stable run, gives up when bounded', async () => {
    const { h, fake, states } = host({
      restart: { baseDelayMs: 10, maxDelayMs: 25, maxAttempts: 3, stableMs: 150 },
    })
    const failures: string[] = []
    h.on('failure', (f) => failures.push(`${f.code}: ${f.message}`))
    await h.start({ type: 'start', n: 1 })
    const crash = async () => {
      fake.alive()[0]!.kill()
      for (let i = 0; i < 50 && fake.alive().length === 0 && h.state.state !== 'failed'; i++)
        await sleep(5)
      await tick()
    }
    await crash()
    await crash()
    await crash()
    const restarting = states.filter((s) => s.state === 'restarting')
    expect(
      restarting.map((s) => (s.state === 'restarting' ? [s.attempt, s.delay_ms] : [])),
    ).toEqual([
      [1, 10],
      [2, 20],
      [3, 25],
    ])
    expect(restarting[0]).toMatchObject({ reason: 'the capture worker was killed by SIGKILL' })
    // A run that stays up for stableMs starts the count over.
    await sleep(200)
    await crash()
    expect(states.filter((s) => s.state === 'restarting').at(-1)).toMatchObject({ attempt: 1 })
    await sleep(200)
    for (let i = 0; i < 4; i++) await crash()
    expect(h.state.state).toBe('failed')
    expect(failures.at(-1)).toMatch(
      /^WORKER_CRASHED: the capture worker was killed by SIGKILL; gave up after 3 restarts/,
    )
    expect(fake.alive()).toHaveLength(0)
    expect(fake.workers.every((w) => w.posted[0]?.type === 'start')).toBe(true)
  })

  it('treats a message that breaks the protocol as a crash', async () => {
    const { h, fake, states } = host({ restart: { baseDelayMs: 5 } })
    await h.start({ type: 'start', n: 1 })
    fake.workers[0]!.reply({ type: 'tick', seq: -1, skipped: 0, value: 'x' })
    expect(fake.workers[0]!.exited).toEqual({ code: null, reason: 'SIGKILL' })
    expect(states.at(-1)).toMatchObject({ state: 'restarting' })
    expect((states.at(-1) as { reason: string }).reason).toMatch(/sent an invalid message \(seq:/)
    await sleep(20)
    expect(h.state.state).toBe('running')
    await h.stop()
    expect(fake.alive()).toHaveLength(0)
  })

  it('stop during the restart delay cancels the restart', async () => {
    const { h, fake } = host({ restart: { baseDelayMs: 50 } })
    await h.start({ type: 'start', n: 1 })
    fake.workers[0]!.kill()
    expect(h.state.state).toBe('restarting')
    await h.stop()
    await sleep(80)
    expect(fake.workers).toHaveLength(1)
    expect(h.state.state).toBe('stopped')
  })

  it('kills a worker that does not exit after stop', async () => {
    const fake = fakeLauncher()
    const h = new WorkerHost<Start, From>('probe', From, { launcher: fake.launcher })
    await h.start({ type: 'start', n: 1 })
    const w = fake.workers[0]!
    w.postMessage = (m) => void w.posted.push(m as { type: string }) // ignores stop
    await h.stop(20)
    expect(w.exited).toEqual({ code: null, reason: 'SIGKILL' })
  })
})

describe('TickGate', () => {
  it('lets two ticks be unacknowledged, then merges (counts skipped) until an ack', () => {
    const gate = new TickGate()
    const sent: Array<[number, number]> = []
    const offer = () => gate.offer((seq, skipped) => sent.push([seq, skipped]))
    expect([offer(), offer(), offer(), offer()]).toEqual([true, true, false, false])
    gate.ack(1)
    expect(offer()).toBe(true)
    gate.ack(99) // acks beyond what was sent are ignored
    expect(offer()).toBe(false)
    gate.ack(3)
    expect(offer()).toBe(true)
    expect(sent).toEqual([
      [1, 0],
      [2, 0],
      [3, 2],
      [4, 1],
    ])
  })
})
