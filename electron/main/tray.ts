/**
 * The tray: the chosen interface's live receive/transmit rate in the tooltip (and the title where
 * the desktop shows one: macOS), and a menu to show the window, pause or resume capture and probes,
 * choose the interface, keep running in the tray, start at login, and quit.
 */
import { Menu, type MenuItemConstructorOptions, type Tray } from 'electron'
import type { BandwidthTick, CaptureState, ProbesState } from '../../common/contract'
import { formatRate } from '../../common/units'
import type { ControlClient } from './control-client'
import type { PrefsFile } from './prefs'

export interface TrayOptions {
  tray: Tray
  client: Pick<ControlClient, 'invoke' | 'on'>
  prefs: PrefsFile
  showWindow(): void
  quit(): void
  setOpenAtLogin(on: boolean): void
  platform?: NodeJS.Platform
}

/** What a pause stopped, so resume starts exactly that again. */
interface Paused {
  capture: { iface: string; filter: string | null } | null
  probes: ProbesState['targets']
}

/** The interface the tray shows: the chosen one if present, else the busiest that isn't loopback. */
export function pickInterface(tick: BandwidthTick, chosen: string | null) {
  const list = tick.interfaces
  const named = chosen ? list.find((i) => i.name === chosen) : undefined
  if (named) return named
  const candidates = list.filter((i) => i.name !== 'lo')
  const pool = candidates.length ? candidates : list
  let best = pool[0]
  for (const i of pool) {
    if (best && i.rx.current_bps + i.tx.current_bps > best.rx.current_bps + best.tx.current_bps)
      best = i
  }
  return best
}

export class TrayController {
  private capture: CaptureState | null = null
  private probes: ProbesState | null = null
  private paused: Paused | null = null
  private names: string[] = []
  private busy = false
  private readonly platform: NodeJS.Platform

  constructor(private readonly o: TrayOptions) {
    this.platform = o.platform ?? process.platform
    o.tray.setToolTip('Flowscope')
    o.client.on('bandwidth.tick', (t) => this.onTick(t))
    o.client.on('capture.state', (s) => this.setCapture(s))
    o.client.on('probes.state', (s) => this.setProbes(s))
    o.tray.on('click', () => o.showWindow())
    this.render()
  }

  /** Reads the current capture and probe state (on start and after the engine restarted). */
  async refresh(): Promise<void> {
    const [c, p] = await Promise.all([
      this.o.client.invoke('capture.state', {}),
      this.o.client.invoke('probes.state', {}),
    ])
    if (c.ok) this.capture = c.value
    if (p.ok) this.probes = p.value
    this.render()
  }

  get isPaused(): boolean {
    return this.paused !== null
  }

  onTick(tick: BandwidthTick): void {
    const names = tick.interfaces.map((i) => i.name).sort()
    if (names.join('\n') !== this.names.join('\n')) {
      this.names = names
      this.render()
    }
    const iface = pickInterface(tick, this.o.prefs.get().trayInterface)
    if (!iface) {
      this.o.tray.setToolTip('Flowscope: no interfaces')
      return
    }
    const rx = formatRate(iface.rx.current_bps, 'bits')
    const tx = formatRate(iface.tx.current_bps, 'bits')
    this.o.tray.setToolTip(`Flowscope: ${iface.name}  ↓ ${rx}  ↑ ${tx}`)
    if (this.platform === 'darwin') this.o.tray.setTitle(`↓${rx} ↑${tx}`)
  }

  /** Stops capture and probes, remembering what ran so resume starts it again. */
  async pause(): Promise<void> {
    if (this.busy || this.paused) return
    this.busy = true
    try {
      await this.refresh()
      const capture =
        this.capture?.active && this.capture.iface
          ? { iface: this.capture.iface, filter: this.capture.filter }
          : null
      const probes = this.probes?.active ? this.probes.targets : []
      if (!capture && !probes.length) return
      this.paused = { capture, probes }
      if (capture) await this.o.client.invoke('capture.stop', {})
      if (probes.length) await this.o.client.invoke('probes.stop', {})
    } finally {
      this.busy = false
      this.render()
    }
  }

  async resume(): Promise<void> {
    const paused = this.paused
    if (this.busy || !paused) return
    this.busy = true
    this.paused = null
    try {
      if (paused.capture)
        await this.o.client.invoke('capture.start', {
          iface: paused.capture.iface,
          ...(paused.capture.filter ? { filter: paused.capture.filter } : {}),
        })
      if (paused.probes.length)
        await this.o.client.invoke('probes.start', {
          targets: paused.probes.map((t) => ({
            target: t.target,
            interval_ms: Math.max(10, t.interval_ms),
            timeout_ms: Math.max(10, t.timeout_ms),
          })),
        })
    } finally {
      this.busy = false
      this.render()
    }
  }

  /** The menu as built last (tests and the e2e smoke test read it). */
  menu: Menu | null = null

  render(): void {
    const prefs = this.o.prefs.get()
    const running = Boolean(this.capture?.active || this.probes?.active)
    const chosen = prefs.trayInterface
    const items: MenuItemConstructorOptions[] = [
      { id: 'show', label: 'Show Flowscope', click: () => this.o.showWindow() },
      { type: 'separator' },
      this.paused
        ? { id: 'resume', label: 'Resume capture and probes', click: () => void this.resume() }
        : {
            id: 'pause',
            label: 'Pause capture and probes',
            enabled: running,
            click: () => void this.pause(),
          },
      {
        id: 'interface',
        label: 'Interface in tray',
        submenu: [
          {
            id: 'interface:auto',
            label: 'Busiest',
            type: 'radio',
            checked: chosen === null,
            click: () => this.choose(null),
          },
          ...this.names.map((name): MenuItemConstructorOptions => ({
            id: `interface:${name}`,
            label: name,
            type: 'radio',
            checked: chosen === name,
            click: () => this.choose(name),
          })),
        ],
      },
      { type: 'separator' },
      {
        id: 'close-to-tray',
        label: 'Keep running in tray when the window closes',
        type: 'checkbox',
        checked: prefs.closeToTray === true,
        click: (item) => {
          this.o.prefs.set({ closeToTray: item.checked })
        },
      },
      {
        id: 'open-at-login',
        label: 'Start at login',
        type: 'checkbox',
        checked: prefs.openAtLogin,
        click: (item) => {
          this.o.setOpenAtLogin(item.checked)
          this.o.prefs.set({ openAtLogin: item.checked })
        },
      },
      { type: 'separator' },
      { id: 'quit', label: 'Quit Flowscope', click: () => this.o.quit() },
    ]
    this.menu = Menu.buildFromTemplate(items)
    this.o.tray.setContextMenu(this.menu)
  }

  private choose(name: string | null): void {
    this.o.prefs.set({ trayInterface: name })
    this.render()
  }

  private setCapture(s: CaptureState): void {
    this.capture = s
    if (s.active && !this.busy) this.paused = null // started from the window: nothing to resume
    this.render()
  }

  private setProbes(s: ProbesState): void {
    this.probes = s
    if (s.active && !this.busy) this.paused = null
    this.render()
  }
}
