import { BrowserWindow, shell } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const rendererFile = join(__dirname, '..', 'renderer', 'index.html')
/** In development electron-vite serves the renderer and passes its URL. */
const devUrl = process.env['ELECTRON_RENDERER_URL']

/** Only our own renderer may call the API: the built file, or the dev server in development. */
export function isTrustedUrl(url: string): boolean {
  if (devUrl) return url.startsWith(devUrl)
  return url.split(/[?#]/)[0] === pathToFileURL(rendererFile).href
}

export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Flowscope',
    show: false,
    backgroundColor: '#10141a',
    webPreferences: {
      preload: join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  win.once('ready-to-show', () => win.show())
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
