/**
 * The main process put together (electron faked): single instance, the engine host started as a
 * utility process, notifications for alerts and capture failures, close-to-tray, start at login.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { runDesktop } = await import('../../../electron/main/desktop')
const { captureFailureNotices, electronNotifier } =
  await import('../../../electron/main/notifications')
const { setOpenAtLogin, autostartFile } = await import('../../../electron/main/login-item')
const { handleClose } = await import('../../../electron/main/close-to-tray')
const { openPrefs } = await import('../../../electron/main/prefs')

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fs-desktop-'))
  fake.resetFake(dir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function fakeNotifier() {
  const shown: Array<[string, string]> = []
  return { shown, notify: (t: string, b: string) => void shown.push([t, b]) }
}

describe('desktop main process', () => {
  it('a second instance quits at once; the first one shows and focuses its window', async () => {
    fake.app.lock = false
    expect(await runDesktop({ bundleDir: '/app/out/main', argv: [] })).toBeNull()
    expect(fake.app.quitCalls).toBe(1)
    expect(fake.state.processes).toHaveLength(0)
    // The lock and the preferences live in one folder however the app was started.
    expect(fake.app.getPath('userData')).toBe(join(dir, 'Flowscope'))

    fake.resetFake(dir)
    const desktop = (await runDesktop({ bundleDir: '/app/out/main', argv: ['--hidden'] }))!
    const win = desktop.window() as unknown as fake.BrowserWindow
    expect(win.visible).toBe(false) // started at login: in the tray only
    win.minimized = true
    fake.app.emit('second-instance', {}, ['flowscope'], '/')
    expect(win.visible).toBe(true)
    expect(win.minimized).toBe(false)
    expect(win.focused).toBe(true)
    expect(fake.BrowserWindow.getAllWindows()).toHaveLength(1)
  })

  it('runs the engine in a utility process, not in main, and forwards its notifications', async () => {
    const notifier = fakeNotifier()
    await runDesktop({ bundleDir: '/app/out/main', argv: [], notifier })
    const engine = fake.state.processes[0]!
    expect(engine.modulePath).toBe('/app/out/main/engine.js')
    engine.send({ type: 'ready' })
    // Main connected its own client (tray, notifications) over a port.
    const mainClient = engine.posted.find((p) => (p.message as { name?: string }).name === 'main')!
    expect(mainClient.ports).toHaveLength(1)
    engine.send({ type: 'notify', title: 'Alert: eth0 rx above 100 Mbit/s', body: 'for 30 s' })
    const enginePort = mainClient.ports[0]!
    enginePort.start()
    const failed = {
      active: false,
      iface: 'eth0',
      filter: null,
      started_at: null,
      error: { code: 'CAPTURE_FAILED', message: 'eth0: device went down' },
    }
    enginePort.postMessage({ kind: 'event', event: 'capture.state', payload: failed })
    enginePort.postMessage({ kind: 'event', event: 'capture.state', payload: failed }) // same: once
    enginePort.postMessage({ kind: 'event', event: 'capture.state', payload: { bogus: true } })
    await fake.settle()
    expect(notifier.shown).toEqual([
      ['Alert: eth0 rx above 100 Mbit/s', 'for 30 s'],
      ['Capture on eth0 failed', 'eth0: device went down'],
    ])
    enginePort.close()
  })

  it('quitting stops the engine host first', async () => {
    await runDesktop({ bundleDir: '/app/out/main', argv: [] })
    const engine = fake.state.processes[0]!
    engine.send({ type: 'ready' })
    let prevented = false
    fake.app.emit('before-quit', { preventDefault: () => (prevented = true) })
    expect(prevented).toBe(true)
    expect(engine.posted.at(-1)!.message).toEqual({ type: 'shutdown' })
    engine.exit(0)
    await fake.settle()
    expect(fake.app.quitCalls).toBe(1)
    fake.app.emit('before-quit', { preventDefault: () => (prevented = false) })
    expect(prevented).toBe(true) // not prevented the second time
  })
})

describe('notifications', () => {
  it('one notice per distinct capture failure, re-armed by a capture that runs', () => {
    const n = fakeNotifier()
    const on = captureFailureNotices(n)
    const err = (message: string, code = 'CAPTURE_FAILED') => ({
      active: false,
      iface: 'eth0',
      filter: null,
      started_at: null,
      error: { code, message },
    })
    on(err('down'))
    on(err('down'))
    on(err('needs CAP_NET_RAW', 'PERMISSION_DENIED'))
    on({ active: true, iface: 'eth0', filter: null, started_at: 'x', error: null })
    on(err('down'))
    expect(n.shown).toEqual([
      ['Capture on eth0 failed', 'down'],
      ['Capture on eth0 failed', 'needs CAP_NET_RAW'],
      ['Capture on eth0 failed', 'down'],
    ])
  })

  it("uses the OS notification, and stays quiet where there's no notification daemon", () => {
    electronNotifier().notify('t', 'b')
    fake.Notification.supported = false
    electronNotifier().notify('t2', 'b2')
    expect(fake.Notification.shown).toEqual([{ title: 't', body: 'b' }])
  })
})

describe('close to tray and start at login', () => {
  it('asks once what closing does, then keeps the answer', () => {
    const prefs = openPrefs(dir)
    let quits = 0
    const win = new fake.BrowserWindow({ width: 1, height: 1, webPreferences: {} })
    win.show()
    handleClose(win as never, { prefs, quitting: () => false, quit: () => quits++ })
    fake.dialog.answers.push(0) // keep running in tray
    expect(win.close()).toBe(false)
    expect(win.visible).toBe(false)
    expect(fake.dialog.asked).toBe(1)
    expect(openPrefs(dir).get().closeToTray).toBe(true)
    win.show()
    expect(win.close()).toBe(false)
    expect(fake.dialog.asked).toBe(1) // not asked again
    prefs.set({ closeToTray: false })
    win.close()
    expect(quits).toBe(1)
    // Quitting from the menu closes the window for real.
    const w2 = new fake.BrowserWindow({ width: 1, height: 1, webPreferences: {} })
    handleClose(w2 as never, { prefs, quitting: () => true, quit: () => quits++ })
    expect(w2.close()).toBe(true)
  })

  it('Linux: an XDG autostart entry that starts hidden; elsewhere Electron login items', () => {
    const env = {
      XDG_CONFIG_HOME: join(dir, 'config'),
      APPIMAGE: '/home/op/Apps/Flowscope.AppImage',
    }
    setOpenAtLogin(true, 'linux', env)
    const file = autostartFile(env)
    expect(file).toBe(join(dir, 'config', 'autostart', 'flowscope.desktop'))
    const entry = readFileSync(file, 'utf8')
    expect(entry).toContain('[Desktop Entry]')
    expect(entry).toContain('Exec="/home/op/Apps/Flowscope.AppImage" --hidden')
    setOpenAtLogin(false, 'linux', env)
    expect(existsSync(file)).toBe(false)
    setOpenAtLogin(true, 'win32', env)
    expect(fake.app.loginItem).toEqual({ openAtLogin: true, args: ['--hidden'] })
  })
})
