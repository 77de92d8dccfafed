/**
 * The desktop window through Playwright's _electron. Where no Electron binary is installed (an
 * offline machine, or ELECTRON_SKIP_BINARY_DOWNLOAD), the test is reported as skipped with why.
 */
import { createRequire } from 'node:module'
import { existsSync, mkdirSync } from 'node:fs'
import { _electron as electron, expect, test } from '@playwright/test'

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

test.describe('desktop window', () => {
  test.skip(reason !== '', reason)

  test('opens a sandboxed window that shows live interfaces over IPC', async () => {
    const args = ['out/main/index.js']
    if (process.getuid?.() === 0) args.unshift('--no-sandbox') // Chromium refuses to run as root otherwise
    const app = await electron.launch({ executablePath: binary.path!, args })
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
})
