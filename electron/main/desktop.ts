/**
 * The desktop app's main process: windows, tray, notifications, the single-instance lock and the
 * port handshake. It hosts no engine code: the engine runs in a utility process (engine-process.ts)
 * and main only brokers MessagePorts between it, the renderer and the workers.
 */
import { join } from 'node:path'
import { app, BrowserWindow, MessageChannelMain, Tray, nativeImage } from 'electron'
import { appPaths } from '../engine/host/app-paths'
import { handleClose } from './close-to-tray'
import { ControlClient } from './control-client'
import { EngineProcess } from './engine-process'
import { registerExportScheme, setupExports } from './exports'
import { setupIpc } from './ipc'
import { HIDDEN_ARG, setOpenAtLogin } from './login-item'
import { captureFailureNotices, electronNotifier, type Notifier } from './notifications'
import { openPrefs } from './prefs'
import { setupSecurity } from './security'
import { TrayController } from './tray'
import { createMainWindow, isTrustedUrl } from './window'

export interface Desktop {
  engine: EngineProcess
  tray: TrayController
  window(): BrowserWindow | null
}

export interface DesktopOptions {
  /** Where the bundle is (out/main): paths to the engine, workers and icons derive from it. */
  bundleDir: string
  argv?: string[]
  notifier?: Notifier
}

/** Runs the app; resolves with its parts once ready, or null if another instance runs. */
export async function runDesktop(o: DesktopOptions): Promise<Desktop | null> {
  // One data folder however the app was started (checkout or package): ~/.config/Flowscope.
  // Set before the lock, which lives there.
  app.setPath('userData', join(app.getPath('appData'), 'Flowscope'))
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return null
  }
  registerExportScheme()
  await app.whenReady()
  setupSecurity()

  const paths = appPaths(o.bundleDir)
  const prefs = openPrefs(app.getPath('userData'))
  const icon = paths.resource('icons/512x512.png')
  const notifier = o.notifier ?? electronNotifier(icon)
  const engine = new EngineProcess({
    engineEntry: paths.entry('engine'),
    workerEntry: (name) => paths.entry(name),
  })
  const ipc = setupIpc(engine, isTrustedUrl)
  setupExports(engine)

  let quitting = false
  let win: BrowserWindow | null = null
  const quit = () => {
    quitting = true
    app.quit()
  }
  const openWindow = (show: boolean) => {
    const w = createMainWindow(prefs, { show, icon })
    ipc.register(w.webContents)
    handleClose(w, { prefs, quitting: () => quitting, quit })
    w.on('closed', () => {
      if (win === w) win = null
    })
    return w
  }
  const showWindow = () => {
    if (!win || win.isDestroyed()) win = openWindow(true)
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }

  const client = new ControlClient()
  const tray = new TrayController({
    tray: new Tray(nativeImage.createFromPath(paths.resource('icons/32x32.png'))),
    client,
    prefs,
    showWindow,
    quit,
    setOpenAtLogin: (on) => setOpenAtLogin(on),
  })
  client.on('capture.state', captureFailureNotices(notifier))
  engine.on('notify', (title, body) => notifier.notify(title, body))
  engine.on('ready', () => {
    const { port1, port2 } = new MessageChannelMain()
    if (engine.connect('main', port1)) client.attach(port2)
    void tray.refresh()
    ipc.reconnectAll()
  })
  engine.start()

  win = openWindow(!(o.argv ?? process.argv).includes(HIDDEN_ARG))
  // Single instance: a second launch shows and focuses this one.
  app.on('second-instance', showWindow)
  app.on('activate', showWindow)
  // Closing the last window keeps the app (tray) unless the operator chose to quit.
  app.on('window-all-closed', () => {})
  // Quitting stops the engine host first, so history is closed cleanly.
  let engineStopped = false
  app.on('before-quit', (event) => {
    quitting = true
    if (engineStopped) return
    event.preventDefault()
    void engine.stop().finally(() => {
      engineStopped = true
      app.quit()
    })
  })
  return { engine, tray, window: () => win }
}
