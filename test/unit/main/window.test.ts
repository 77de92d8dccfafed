/** The window's security settings, navigation and window-open denial, permissions, and bounds. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))

const { createMainWindow, isTrustedUrl } = await import('../../../electron/main/window')
const { setupSecurity } = await import('../../../electron/main/security')
const { openPrefs } = await import('../../../electron/main/prefs')
const { restorableBounds } = await import('../../../electron/main/window-state')

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fs-main-'))
  fake.resetFake(dir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('main window', () => {
  it('is sandboxed, context-isolated, without Node, and loads our built renderer', () => {
    const win = createMainWindow(openPrefs(dir), { show: true }) as unknown as fake.BrowserWindow
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
    })
    expect(String(win.options.webPreferences['preload'])).toMatch(
      /out\/preload\/index\.js$|preload\/index\.js$/,
    )
    expect(win.loaded).toMatch(/renderer\/index\.html$/)
    expect(isTrustedUrl(win.webContents.getURL())).toBe(true)
    expect(isTrustedUrl(`${win.webContents.getURL()}#probes`)).toBe(true)
    expect(isTrustedUrl('file:///etc/passwd')).toBe(false)
    expect(isTrustedUrl('https://example.com/')).toBe(false)
  })

  it('denies navigation away from the app and every new window', () => {
    const win = createMainWindow(openPrefs(dir), { show: true }) as unknown as fake.BrowserWindow
    const navigate = (url: string) => {
      let prevented = false
      win.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url)
      return prevented
    }
    expect(navigate('https://evil.example/')).toBe(true)
    expect(navigate('file:///etc/passwd')).toBe(true)
    expect(navigate(win.webContents.getURL())).toBe(false)
    const open = win.webContents.windowOpenHandler!
    expect(open({ url: 'https://example.com/doc' })).toEqual({ action: 'deny' })
    expect(open({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(open({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    // Only web links go to the browser.
    expect(fake.shell.opened).toEqual(['https://example.com/doc'])
  })

  it('denies every permission request and check, and sets the CSP header', () => {
    setupSecurity()
    const s = fake.session.defaultSession
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      const cb = vi.fn()
      s.permissionRequest!({}, permission, cb)
      expect(cb).toHaveBeenCalledWith(false)
    }
    expect(s.permissionCheck!({}, 'media')).toBe(false)
    let headers: Record<string, string[]> = {}
    s.headersListener!({ responseHeaders: { a: ['b'] } }, (r) => {
      headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders
    })
    expect(headers['a']).toEqual(['b'])
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'/)
  })

  it('remembers size and position in userData, and ignores bounds off every display', () => {
    const prefs = openPrefs(dir)
    const win = createMainWindow(prefs, { show: true }) as unknown as fake.BrowserWindow
    win.bounds = { x: 100, y: 50, width: 1000, height: 700 }
    win.close() // saves at once on close
    const again = createMainWindow(openPrefs(dir), { show: true }) as unknown as fake.BrowserWindow
    expect(again.options).toMatchObject({ x: 100, y: 50, width: 1000, height: 700 })
    const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }]
    expect(restorableBounds({ x: 3000, y: 0, width: 800, height: 600 }, displays)).toBeNull()
    expect(restorableBounds({ x: 1850, y: 0, width: 800, height: 600 }, displays)).toBeNull()
    expect(restorableBounds({ x: 1700, y: 0, width: 800, height: 600 }, displays)).not.toBeNull()
  })
})
