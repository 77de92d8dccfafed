/** The tray: live rate of the chosen interface, and its menu's actions. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BandwidthTick, CaptureState, ProbesState } from '../../../common/contract'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { TrayController } = await import('../../../electron/main/tray')
const { openPrefs } = await import('../../../electron/main/prefs')

const dir0 = (rx: number, tx: number) => ({
  current_bps: rx,
  average_bps: 0,
  min_bps: 0,
  max_bps: 0,
  total_bytes: tx,
  total_packets: 0,
})
const tick = (rates: Record<string, [number, number]>): BandwidthTick => ({
  time: '2026-11-30T06:00:00.000Z',
  interfaces: Object.entries(rates).map(([name, [rx, tx]]) => ({
    name,
    rx: dir0(rx, 0),
    tx: dir0(tx, 0),
    rx_dropped: 0,
    elapsed_s: 1,
  })),
})

/** A contract client whose engine keeps capture and probe state like the real one. */
function fakeClient() {
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const calls: Array<[string, unknown]> = []
  let capture: CaptureState = {
    active: true,
    iface: 'eth0',
    filter: 'tcp port 443',
    started_at: 'x',
    error: null,
  }
  let probes: ProbesState = {
    active: true,
    targets: [{ target: 'icmp://192.0.2.1', interval_ms: 500, timeout_ms: 1000, count: null }],
    error: null,
  }
  const emit = (event: string, payload: unknown) => {
    for (const l of listeners.get(event) ?? []) l(payload)
  }
  return {
    calls,
    emit,
    on: (event: string, l: (p: unknown) => void) => {
      if (!listeners.has(event)) listeners.set(event, new Set())
      listeners.get(event)!.add(l)
      return () => listeners.get(event)!.delete(l)
    },
    invoke: async (method: string, params: unknown) => {
      calls.push([method, params])
      switch (method) {
        case 'capture.state':
          return { ok: true, value: capture }
        case 'probes.state':
          return { ok: true, value: probes }
        case 'capture.stop':
          capture = { ...capture, active: false, started_at: null }
          emit('capture.state', capture)
          return { ok: true, value: capture }
        case 'probes.stop':
          probes = { ...probes, active: false }
          emit('probes.state', probes)
          return { ok: true, value: probes }
        case 'capture.start': {
          const p = params as { iface: string; filter?: string }
          capture = {
            active: true,
            iface: p.iface,
            filter: p.filter ?? null,
            started_at: 'y',
            error: null,
          }
          emit('capture.state', capture)
          return { ok: true, value: capture }
        }
        case 'probes.start':
          probes = { ...probes, active: true }
          emit('probes.state', probes)
          return { ok: true, value: probes }
      }
      return { ok: false, code: 'UNKNOWN_METHOD', message: method }
    },
  }
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fs-tray-'))
  fake.resetFake(dir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function setup(platform: NodeJS.Platform = 'linux') {
  const tray = new fake.Tray(null)
  const client = fakeClient()
  const prefs = openPrefs(dir)
  const actions = { show: 0, quit: 0, login: [] as boolean[] }
  const c = new TrayController({
    tray: tray as never,
    client: client as never,
    prefs,
    showWindow: () => actions.show++,
    quit: () => actions.quit++,
    setOpenAtLogin: (on) => actions.login.push(on),
    platform,
  })
  const item = (id: string) => tray.menu!.getMenuItemById(id)
  return { tray, client, prefs, actions, c, item }
}

describe('tray', () => {
  it('shows the busiest non-loopback interface, or the chosen one, in the tooltip', () => {
    const { tray, client, item, prefs } = setup()
    client.emit(
      'bandwidth.tick',
      tick({ lo: [9e6, 9e6], eth0: [125_000, 2_000], wlan0: [1000, 0] }),
    )
    expect(tray.tooltip).toBe('Flowscope: eth0  ↓ 1.00 Mbit/s  ↑ 16.0 kbit/s')
    expect(tray.title).toBe('') // no title outside macOS
    item('interface:wlan0')!.click!(item('interface:wlan0')!)
    expect(prefs.get().trayInterface).toBe('wlan0')
    client.emit(
      'bandwidth.tick',
      tick({ lo: [9e6, 9e6], eth0: [125_000, 2_000], wlan0: [1000, 0] }),
    )
    expect(tray.tooltip).toBe('Flowscope: wlan0  ↓ 8.00 kbit/s  ↑ 0.00 bit/s')
    expect(item('interface:wlan0')!.checked).toBe(true)
    // The choice survives a restart (userData/desktop.json).
    expect(openPrefs(dir).get().trayInterface).toBe('wlan0')
  })

  it('sets the title where the desktop shows one (macOS)', () => {
    const { tray, client } = setup('darwin')
    client.emit('bandwidth.tick', tick({ en0: [1_250_000, 125] }))
    expect(tray.title).toBe('↓10.0 Mbit/s ↑1.00 kbit/s')
  })

  it('pause stops capture and probes; resume starts exactly what ran', async () => {
    const { client, item, c } = setup()
    await c.refresh()
    expect(item('pause')!.enabled).toBe(true)
    await c.pause()
    expect(client.calls.map((x) => x[0])).toContain('capture.stop')
    expect(client.calls.map((x) => x[0])).toContain('probes.stop')
    expect(item('pause')).toBeNull()
    expect(item('resume')).not.toBeNull()
    client.calls.length = 0
    item('resume')!.click!(item('resume')!)
    await fake.settle()
    expect(client.calls).toEqual([
      ['capture.start', { iface: 'eth0', filter: 'tcp port 443' }],
      [
        'probes.start',
        { targets: [{ target: 'icmp://192.0.2.1', interval_ms: 500, timeout_ms: 1000 }] },
      ],
    ])
    expect(item('pause')!.enabled).toBe(true)
  })

  it('show, quit, keep-in-tray and start-at-login', () => {
    const { tray, item, actions, prefs } = setup()
    item('show')!.click!(item('show')!)
    tray.emit('click')
    expect(actions.show).toBe(2)
    const keep = item('close-to-tray')!
    keep.checked = true
    keep.click!(keep)
    expect(prefs.get().closeToTray).toBe(true)
    const login = item('open-at-login')!
    login.checked = true
    login.click!(login)
    expect(actions.login).toEqual([true])
    expect(openPrefs(dir).get()).toMatchObject({ closeToTray: true, openAtLogin: true })
    item('quit')!.click!(item('quit')!)
    expect(actions.quit).toBe(1)
  })
})
