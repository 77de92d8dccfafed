import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Monitor } from '../../../electron/engine/monitor'
import { startDesktopMetrics } from '../../../electron/engine/settings/desktop-metrics'
import { FakeSysNet } from '../fakes'

/** A port the kernel just handed out (so >= 1024), held open or released. */
async function port(hold: boolean): Promise<{ port: number; server: Server }> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  if (!hold) await new Promise((r) => server.close(r))
  return { port, server }
}

const monitors: Monitor[] = []
function monitor(): Monitor {
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 1000)
  const m = new Monitor({ sysnet })
  monitors.push(m)
  return m
}
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()))
})

describe('desktop metrics endpoint from the settings', () => {
  it('is off by default', async () => {
    const m = monitor()
    expect(await startDesktopMetrics(m, () => {})).toBeNull()
    expect(m.settings.state().metrics).toBeNull()
  })

  it('serves /metrics on loopback at the stored port and says where', async () => {
    const m = monitor()
    const { port: p } = await port(false)
    m.settings.set({ metrics: { enabled: true, port: p } })
    m.sample()
    const close = await startDesktopMetrics(m, () => {})
    try {
      expect(m.settings.state().metrics).toEqual({
        source: 'desktop',
        url: `http://127.0.0.1:${p}/metrics`,
        token_required: false,
      })
      const res = await fetch(`http://127.0.0.1:${p}/metrics`)
      expect(res.status).toBe(200)
      expect(await res.text()).toMatch(
        /flowscope_network_receive_bytes_total\{device="eth0"\} 1000/,
      )
    } finally {
      await close?.()
    }
  })

  it('a port in use is reported, not thrown', async () => {
    const m = monitor()
    const held = await port(true)
    try {
      m.settings.set({ metrics: { enabled: true, port: held.port } })
      const lines: string[] = []
      expect(await startDesktopMetrics(m, (l) => lines.push(l))).toBeNull()
      expect(lines[0]).toMatch(/not started: .*EADDRINUSE/)
      expect(m.settings.state().metrics).toBeNull()
    } finally {
      held.server.close()
    }
  })
})
