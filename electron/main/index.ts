/**
 * Electron host: app lifecycle, the window and IPC wiring. Thin on purpose: the engine is plain
 * Node (electron/engine) and is the same one serve mode and the CLI use.
 */
import { app, BrowserWindow, session } from 'electron'
import { History } from '../engine/history'
import { Monitor } from '../engine/monitor'
import { registerExportScheme, setupExports } from './exports'
import { CSP } from '../../common/security'
import { setupIpc } from './ipc'
import { createMainWindow, isTrustedUrl } from './window'

function setupSecurity(): void {
  // The same Content-Security-Policy as serve mode, also on responses the meta tag can't cover.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  )
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  registerExportScheme()
  await app.whenReady()
  setupSecurity()
  // Like serve mode: history is recorded by default ($FLOWSCOPE_DB or the data directory).
  const monitor = new Monitor({
    history: (events) => new History(events, undefined, process.env, true),
  })
  setupExports(monitor)
  const register = setupIpc(monitor, isTrustedUrl)
  const open = () => register(createMainWindow().webContents)
  monitor.start()
  open()
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus())
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open()
  })
  app.on('window-all-closed', () => {
    void monitor.stop()
    if (process.platform !== 'darwin') app.quit()
  })
}

void main()
