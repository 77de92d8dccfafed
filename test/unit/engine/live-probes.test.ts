import { describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/api'
import { Monitor } from '../../../electron/engine/monitor'
import type { ProbesState } from '../../../common/contract'
import { FakeSysNet } from '../fakes'
import { fakeLauncher } from './fake-worker'

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

describe('probe limits', () => {
  it('refuses 50,000 probes/s (500 targets every 10 ms), naming the limit; starts nothing', async () => {
    const fake = fakeLauncher()
    const monitor = new Monitor({ sysnet: new FakeSysNet(), launcher: fake.launcher })
    const targets = Array.from({ length: 500 }, (_, i) => ({
      target: `udp://10.0.${i >> 8}.${i & 255}:7`,
      interval_ms: 10,
    }))
    const r = await dispatch(monitor.handlers, 'probes.start', { targets }, ctx)
    expect(r).toEqual({
      ok: false,
      code: 'BAD_REQUEST',
      message:
        "probe rate limit: 500 targets ask for 50,000 probes/s, over this process's limit of 2,000 probes/s (set when it starts: serve --max-probe-rate, probe --max-rate)",
    })
    expect(fake.workers).toHaveLength(0)
  })

  it('accepts up to the cap, which only the process sets (serve --max-probe-rate)', async () => {
    const fake = fakeLauncher()
    const monitor = new Monitor({
      sysnet: new FakeSysNet(),
      launcher: fake.launcher,
      maxProbeRate: 100,
    })
    const targets = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        target: `tcp://10.0.0.${i + 1}:80`,
        interval_ms: 100,
      }))
    expect(
      await dispatch(monitor.handlers, 'probes.start', { targets: targets(11) }, ctx),
    ).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      message: expect.stringContaining('limit of 100 probes/s'),
    })
    expect(
      await dispatch(monitor.handlers, 'probes.start', { targets: targets(10) }, ctx),
    ).toMatchObject({
      ok: true,
      value: { active: true },
    })
    // The worker gets bounded concurrency per kind.
    expect(fake.workers[0]!.posted[0]).toMatchObject({
      type: 'start',
      concurrency: { per_kind: { tcp: 64, http: 32, https: 32, icmp: 256 } },
    })
    await monitor.stop()
  })

  it('serialises concurrent starts: one worker, and a crash is reported and restarted', async () => {
    const fake = fakeLauncher()
    const monitor = new Monitor({
      sysnet: new FakeSysNet(),
      launcher: fake.launcher,
      restart: { baseDelayMs: 5 },
    })
    const states: ProbesState[] = []
    monitor.events.on('probes.state', (s) => states.push(s))
    const t = (n: number) => ({ targets: [{ target: `tcp://10.0.0.${n}:80`, interval_ms: 1000 }] })
    await Promise.all(
      [1, 2, 3].map((n) =>
        monitor.probes.start(t(n).targets.map((x) => ({ ...x, timeout_ms: 500 }))),
      ),
    )
    expect(fake.alive()).toHaveLength(1)
    expect(monitor.probes.state().targets[0]!.target).toBe('tcp://10.0.0.3:80')
    fake.alive()[0]!.reply({
      type: 'tick',
      seq: 1,
      skipped: 0,
      results: [
        {
          target: 'tcp://10.0.0.3:80',
          kind: 'tcp',
          seq: 0,
          sent_at: '2026-01-01T00:00:00.000Z',
          rtt_ms: 1,
          status: 'ok',
        },
      ],
      counters: {},
      results_dropped: 0,
    })
    fake.alive()[0]!.kill()
    expect(states.at(-1)).toMatchObject({ active: false, error: { code: 'WORKER_CRASHED' } })
    for (let i = 0; i < 50 && !states.at(-1)!.active; i++)
      await new Promise((r) => setTimeout(r, 5))
    expect(states.at(-1)).toMatchObject({ active: true, error: null })
    // The restarted worker continues after the seq already seen.
    expect(fake.alive()[0]!.posted[0]).toMatchObject({ type: 'start', seq_base: 1 })
    await monitor.probes.stop()
    expect(fake.alive()).toHaveLength(0)
  })

  it('publishes the last batch a stopping worker sends with ended', async () => {
    const result = {
      target: 'tcp://10.0.0.9:80',
      kind: 'tcp',
      seq: 7,
      sent_at: '2026-01-01T00:00:00.000Z',
      rtt_ms: 2,
      status: 'ok',
    }
    const fake = fakeLauncher({
      ended: {
        seq: 2,
        skipped: 0,
        results: [result],
        counters: {},
        results_dropped: 0,
        lateness: { n: 0, mean_ms: 0, p99_ms: 0, max_ms: 0 },
      },
    })
    const monitor = new Monitor({ sysnet: new FakeSysNet(), launcher: fake.launcher })
    const seen: number[] = []
    monitor.events.on('probes.results', (e) => seen.push(...e.results.map((r) => r.seq)))
    await monitor.probes.start([{ target: result.target, interval_ms: 1000, timeout_ms: 500 }])
    await monitor.probes.stop()
    expect(seen).toEqual([7])
    await monitor.stop()
  })
})
