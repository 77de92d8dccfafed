/** ProbeSession (what the engine uses): forks the built worker, streams contract-valid stats. */
import dgram from 'node:dgram'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ProbesState } from '../../../common/contract'
import { ProbeTargetStats } from '../../../common/probes'
import { Monitor } from '../../../electron/engine/monitor'
import { FakeSysNet } from '../../unit/fakes'
import { ProbeSession } from '../../../electron/engine/probes/session'
import { forkLauncherAt } from '../../../electron/engine/workers/launcher'
import { ROOT } from './netns'

const worker = join(ROOT, 'out/main/probe.js')
const launcher = forkLauncherAt(() => worker)
const reason = existsSync(worker) ? null : 'not built: run `npm run build` first'
if (reason) console.warn(`skipping ProbeSession test: ${reason}`)

describe.skipIf(reason !== null)('ProbeSession', () => {
  it('emits window and run stats per tick that validate against the contract schema', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(m, r.port, r.address))
    echo.bind(0, '127.0.0.1')
    await once(echo, 'listening')
    const target = `udp://127.0.0.1:${echo.address().port}`
    const session = new ProbeSession([{ target, interval_ms: 20, timeout_ms: 500, count: 15 }], {
      launcher,
      tick_ms: 100,
      windowN: 5,
    })
    const ticks: ProbeTargetStats[][] = []
    session.on('stats', (s) => ticks.push(s))
    void session.start()
    const { failure } = await session.finished
    echo.close()
    expect(failure).toBeNull()
    expect(ticks.length).toBeGreaterThan(0)
    for (const t of ticks.flat()) ProbeTargetStats.parse(t)
    const [final] = session.snapshot()
    expect(final!.run).toMatchObject({ target, kind: 'udp', sent: 15, received: 15, loss_pct: 0 })
    expect(final!.window.sent).toBe(5)
  })

  it('resolves with the failure (and its fix) when a target cannot be probed', async () => {
    // The worker inherits this environment: point it at an addon that is not there.
    process.env.FLOWSCOPE_ICMP_ADDON = join(ROOT, 'native/icmp/build/Release/missing.node')
    try {
      const session = new ProbeSession(
        [{ target: 'icmp://127.0.0.1', interval_ms: 10, timeout_ms: 100, count: 1 }],
        { launcher },
      )
      void session.start()
      const { failure } = await session.finished
      expect(failure).toEqual({
        target: 'icmp://127.0.0.1',
        code: 'UNAVAILABLE',
        message: expect.stringContaining('npm run build:native'),
      })
    } finally {
      delete process.env.FLOWSCOPE_ICMP_ADDON
    }
  })

  it('per-tick batches: results arrive once per tick, not per probe', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(m, r.port, r.address))
    echo.bind(0, '127.0.0.1')
    await once(echo, 'listening')
    const target = `udp://127.0.0.1:${echo.address().port}`
    const session = new ProbeSession([{ target, interval_ms: 10, timeout_ms: 500, count: 40 }], {
      launcher,
      tick_ms: 200,
    })
    const batches: number[] = []
    session.on('results', (r) => batches.push(r.length))
    void session.start()
    await session.finished
    echo.close()
    expect(batches.reduce((a, b) => a + b, 0)).toBe(40)
    // ~400 ms of probing at one batch per 200 ms tick (plus the final batch).
    expect(batches.length).toBeLessThanOrEqual(5)
    expect(Math.max(...batches)).toBeGreaterThan(5)
  })
})

/** Probe worker processes (children of this process). */
function probeWorkers(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(worker))
        pids.push(Number(entry))
    } catch {
      // Ended meanwhile.
    }
  }
  return pids
}

describe.skipIf(reason !== null)('live probes (engine) with real worker processes', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('three concurrent probes.start leave exactly one worker; stop leaves none', async () => {
    const monitor = new Monitor({ sysnet: new FakeSysNet(), launcher })
    const states: ProbesState[] = []
    monitor.events.on('probes.state', (s) => states.push(s))
    const t = (port: number) => [
      { target: `tcp://127.0.0.1:${port}`, interval_ms: 200, timeout_ms: 100 },
    ]
    const results = await Promise.all([1, 2, 3].map((p) => monitor.probes.start(t(p))))
    expect(results.map((r) => r.active)).toEqual([true, true, true])
    expect(probeWorkers()).toEqual([monitor.probes.pid])
    expect(monitor.probes.state().targets[0]!.target).toBe('tcp://127.0.0.1:3')
    expect(states.map((s) => s.active)).toEqual([true, false, true, false, true])
    await monitor.probes.stop()
    expect(probeWorkers()).toEqual([])
  }, 20_000)

  it('a probe worker killed with SIGKILL is reported and restarted; seqs continue', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(m, r.port, r.address))
    echo.bind(0, '127.0.0.1')
    await once(echo, 'listening')
    const target = `udp://127.0.0.1:${echo.address().port}`
    const monitor = new Monitor({
      sysnet: new FakeSysNet(),
      launcher,
      tickMs: 100,
      restart: { baseDelayMs: 100 },
    })
    const states: ProbesState[] = []
    const seqs: number[] = []
    monitor.events.on('probes.state', (s) => states.push(s))
    monitor.events.on('probes.results', (r) => seqs.push(...r.results.map((x) => x.seq)))
    await monitor.probes.start([{ target, interval_ms: 20, timeout_ms: 500 }])
    await sleep(300)
    const first = monitor.probes.pid!
    process.kill(first, 'SIGKILL')
    for (let i = 0; i < 100 && !(states.at(-1)?.active && monitor.probes.pid !== first); i++)
      await sleep(50)
    await sleep(300)
    const crash = states.find((s) => s.error?.code === 'WORKER_CRASHED')
    expect(crash?.error?.message).toMatch(/probe worker was killed by SIGKILL; restarting in 0.1 s/)
    expect(states.at(-1)).toMatchObject({ active: true, error: null })
    expect(probeWorkers()).toEqual([monitor.probes.pid])
    await monitor.probes.stop()
    echo.close()
    expect(probeWorkers()).toEqual([])
    // No seq twice: the restarted worker continued after the last one seen.
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(Math.max(...seqs)).toBeGreaterThan(20)
  }, 20_000)
})
