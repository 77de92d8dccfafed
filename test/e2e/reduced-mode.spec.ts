/**
 * Reduced mode: started without capture rights, the UI still shows interface counters and says,
 * in the engine's words, how to enable capture. Serve mode runs with CAP_NET_RAW and CAP_NET_ADMIN
 * removed from its bounding set (setpriv), so even root has no capture rights; the banner is the
 * same component the desktop window shows.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chromium, expect, test } from '@playwright/test'

const missing = [
  !existsSync('/usr/bin/setpriv') && 'setpriv (util-linux)',
  !existsSync('/usr/bin/chromium') && '/usr/bin/chromium',
  !existsSync('out/renderer/index.html') && 'a build (npm run build)',
].filter(Boolean)
const reason = missing.length ? `needs ${missing.join(', ')}` : ''
if (reason) console.log(`SKIP reduced-mode e2e: ${reason}`)

test.describe('reduced mode', () => {
  test.skip(reason !== '', reason)
  let serve: ChildProcess | null = null
  test.afterEach(() => {
    serve?.kill()
  })

  test('without capture rights: counters work and a banner says how to enable capture', async () => {
    serve = spawn(
      '/usr/bin/setpriv',
      [
        '--inh-caps=-net_raw,-net_admin',
        '--bounding-set=-net_raw,-net_admin',
        process.execPath,
        'bin/flowscope.cjs',
        'serve',
        '--port',
        '0',
        '--no-store',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      serve!.stdout!.on('data', (d) => {
        out += d
        const m = /(http:\/\/\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      serve!.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
    })
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    })
    try {
      const page = await browser.newPage()
      await page.goto(url)
      const banner = page.getByTestId('reduced-mode')
      await expect(banner).toBeVisible()
      // The engine's own reason, with the command that grants the right.
      await expect(page.getByTestId('reduced-mode-reason')).toContainText('CAP_NET_RAW')
      await expect(page.locator('[data-interface="lo"]')).toBeVisible()
      await banner.getByRole('button', { name: 'Dismiss' }).click()
      await expect(banner).toBeHidden()
    } finally {
      await browser.close()
    }
  })
})
