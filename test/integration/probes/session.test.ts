/** ProbeSession (what the engine uses): forks the built worker, streams contract-valid stats. */
import dgram from 'node:dgram'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ProbeTargetStats } from '../../../common/probes'
import { ProbeSession } from '../../../electron/engine/probes/session'
import { ROOT } from './netns'

const worker = join(ROOT, 'out/main/probe.js')
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
      workerPath: worker,
      tick_ms: 100,
      windowN: 5,
    })
    const ticks: ProbeTargetStats[][] = []
    session.on('stats', (s) => ticks.push(s))
    session.start()
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
        { workerPath: worker },
      )
      session.start()
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
})
