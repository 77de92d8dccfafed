/**
 * The desktop app through Playwright's _electron: the window, the engine host in its own utility
 * process, and the tray. Where no Electron binary is installed (an offline machine, or
 * ELECTRON_SKIP_BINARY_DOWNLOAD), the tests are reported as skipped with why.
 */
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test'

function electronBinary(): { path: string | null; why: string } {
  try {
    const path = createRequire(__filename)('electron') as unknown as string
    if (existsSync(path)) return { path, why: '' }
    return { path: null, why: `Electron binary missing at ${path}` }
  } catch (err) {
    return {
      path: null,
      why: `no Electron binary installed (${(err as Error).message}); run \`npm install\` with network access to get it`,
    }
  }
}

const binary = electronBinary()
const needsDisplay =
  process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
const reason = !binary.path ? binary.why : needsDisplay ? 'no display: run under xvfb-run' : ''
if (reason) console.log(`SKIP electron window e2e: ${reason}`)

/** Starts the built app with its own userData (preferences) and history database. */
function launch(): Promise<ElectronApplication> {
  const home = mkdtempSync(join(tmpdir(), 'fs-electron-'))
  const args = ['out/main/index.js', `--user-data-dir=${join(home, 'userData')}`]
  if (process.getuid?.() === 0) args.unshift('--no-sandbox') // Chromium refuses to run as root otherwise
  return electron.launch({
    executablePath: binary.path!,
    args,
    env: { ...process.env, FLOWSCOPE_DB: join(home, 'history.db') } as Record<string, string>,
  })
}

interface DesktopHandle {
  engine: { pid: number | undefined; ready: boolean }
  tray: { menu: { items: Array<{ id?: string; label?: string; enabled: boolean }> } | null }
}

test.describe('desktop window', () => {
  test.skip(reason !== '', reason)

  test('opens a sandboxed window that shows live interfaces over the engine port', async () => {
    const app = await launch()
    try {
      const win = await app.firstWindow()
      await expect(win).toHaveTitle('Flowscope')
      // The renderer has the contract and nothing else: no Node, no ipcRenderer.
      const exposure = await win.evaluate(() => ({
        api: typeof window.flowscope?.invoke,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }))
      expect(exposure).toEqual({ api: 'function', require: 'undefined', process: 'undefined' })
      const info = await win.evaluate(() => window.flowscope!.invoke('app.info', {}))
      expect(info).toMatchObject({ ok: true, value: { transport: 'ipc' } })
      // The page came from our own build, the only URL main trusts.
      expect(win.url()).toMatch(/^file:.*\/out\/renderer\/index\.html/)
      await expect(win.locator('[data-interface="lo"]')).toBeVisible()
      mkdirSync('test/e2e/artifacts', { recursive: true })
      await win.screenshot({ path: 'test/e2e/artifacts/electron-window.png' })
    } finally {
      await app.close()
    }
  })

  test('runs the engine in its own utility process, not in main', async () => {
    const app = await launch()
    try {
      await app.firstWindow()
      await expect
        .poll(() =>
          app.evaluate(() => {
            const d = (globalThis as unknown as { flowscopeDesktop?: DesktopHandle })
              .flowscopeDesktop
            return d?.engine.ready ?? false
          }),
        )
        .toBe(true)
      const { mainPid, enginePid, processes } = await app.evaluate(({ app: electronApp }) => {
        const d = (globalThis as unknown as { flowscopeDesktop: DesktopHandle }).flowscopeDesktop
        return {
          mainPid: process.pid,
          enginePid: d.engine.pid,
          processes: electronApp
            .getAppMetrics()
            .map((m) => ({ pid: m.pid, type: m.type, serviceName: m.serviceName ?? null })),
        }
      })
      expect(enginePid).toBeGreaterThan(0)
      expect(enginePid).not.toBe(mainPid)
      expect(processes).toContainEqual({
        pid: enginePid,
        type: 'Utility',
        serviceName: 'flowscope-engine',
      })
      // Main holds no engine: native libraries like SQLite are loaded by the engine host alone.
      const mainLibraries = await app.evaluate(
        () => (process.report.getReport() as unknown as { sharedObjects: string[] }).sharedObjects,
      )
      expect(mainLibraries.length).toBeGreaterThan(0)
      expect(
        mainLibraries.filter((lib) => /better_sqlite3|fsc_pcapbatch|fsp_icmp/.test(lib)),
      ).toEqual([])
    } finally {
      await app.close()
    }
  })

  test('has a tray whose menu shows the window, pauses and quits', async () => {
    const app = await launch()
    try {
      const win = await app.firstWindow()
      await expect(win).toHaveTitle('Flowscope')
      const items = await app.evaluate(() => {
        const d = (globalThis as unknown as { flowscopeDesktop: DesktopHandle }).flowscopeDesktop
        return d.tray.menu?.items.map((i) => ({ id: i.id, enabled: i.enabled })) ?? []
      })
      const ids = items.map((i) => i.id)
      for (const id of ['show', 'pause', 'interface', 'close-to-tray', 'open-at-login', 'quit'])
        expect(ids).toContain(id)
      // Nothing runs yet, so there is nothing to pause.
      expect(items.find((i) => i.id === 'pause')?.enabled).toBe(false)
      // Hide the window, then "Show Flowscope" brings it back.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.hide())
      await app.evaluate(() => {
        const d = (
          globalThis as unknown as {
            flowscopeDesktop: { tray: { menu: { getMenuItemById(id: string): { click(): void } } } }
          }
        ).flowscopeDesktop
        d.tray.menu.getMenuItemById('show').click()
      })
      expect(
        await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible()),
      ).toBe(true)
    } finally {
      await app.close()
    }
  })
})
