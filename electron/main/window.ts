import { BrowserWindow, screen, shell } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { restorableBounds, trackWindowState } from './window-state'
import type { PrefsFile } from './prefs'

const rendererFile = join(__dirname, '..', 'renderer', 'index.html')
/** In development electron-vite serves the renderer and passes its URL. */
const devUrl = process.env['ELECTRON_RENDERER_URL']

/** Only our own renderer may call the API: the built file, or the dev server in development. */
export function isTrustedUrl(url: string): boolean {
  if (devUrl) return url.startsWith(devUrl)
  return url.split(/[?#]/)[0] === pathToFileURL(rendererFile).href
}

export function createMainWindow(
  prefs: PrefsFile,
  opts: { show: boolean; icon?: string },
): BrowserWindow {
  const saved = restorableBounds(
    prefs.get().window,
    screen.getAllDisplays().map((d) => d.workArea),
  )
  const win = new BrowserWindow({
    width: saved?.width ?? 1200,
    height: saved?.height ?? 800,
    ...(saved ? { x: saved.x, y: saved.y } : {}),
    minWidth: 720,
    minHeight: 480,
    title: 'Flowscope',
    icon: opts.icon,
    show: false,
    backgroundColor: '#10141a',
    webPreferences: {
      preload: join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  if (prefs.get().maximized) win.maximize()
  trackWindowState(win, prefs)
  if (opts.show) win.once('ready-to-show', () => win.show())
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  if (devUrl) void win.loadURL(devUrl)
  else void win.loadFile(rendererFile)
  return win
}
