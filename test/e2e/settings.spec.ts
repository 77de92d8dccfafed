/**
 * The Settings page against serve mode in a private namespace: settings are kept by the engine
 * (history database), so they hold across a reload, a restart of serve on the same --db and a
 * fresh browser profile; bad values are refused with the reason next to the field; the theme
 * changes the page's and the charts' colours in every open window; a settings file round-trips.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { SettingsFile } from '../../common/settings'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('ping')
if (missing.length > 0) console.log(`SKIP settings e2e: needs ${missing.join(', ')}`)

/** Stops serve the way Ctrl-C does and waits for it to exit. */
async function stopServe(serve: import('node:child_process').ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => serve.once('exit', resolve))
  serve.kill('SIGINT')
  await exited
}

/** Pixels of a canvas whose colour is within `tolerance` of #rrggbb (opaque ones only). */
async function pixelsNear(page: Page, selector: string, hex: string, tolerance = 3) {
  return page
    .locator(selector)
    .first()
    .evaluate(
      (canvas: HTMLCanvasElement, [hex, tol]) => {
        const want = [1, 3, 5].map((i) => parseInt((hex as string).slice(i, i + 2), 16))
        const ctx = canvas.getContext('2d')!
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
        let n = 0
        for (let i = 0; i < data.length; i += 4)
          if (
            data[i + 3]! > 250 &&
            Math.abs(data[i]! - want[0]!) <= (tol as number) &&
            Math.abs(data[i + 1]! - want[1]!) <= (tol as number) &&
            Math.abs(data[i + 2]! - want[2]!) <= (tol as number)
          )
            n++
        return n
      },
      [hex, tolerance] as const,
    )
}

/**
 * A colour token as the page resolves it now, as #rrggbb: tokens are `light-dark(light, dark)`
 * pairs, so the browser picks the side from the page's colour scheme (an element coloured with
 * the token reports the resolved colour).
 */
const cssToken = (page: Page, name: string) =>
  page.evaluate((n) => {
    const probe = document.createElement('span')
    probe.style.color = `var(--${n})`
    document.body.append(probe)
    const rgb = getComputedStyle(probe).color.match(/\d+/g)!.slice(0, 3).map(Number)
    probe.remove()
    return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`
  }, name)

test.describe('serve mode: settings', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fst', '10.97.0', 'fd97')
    net.create()
  })
  test.afterAll(() => net?.destroy())
  const args = () => test.info().project.use.launchOptions?.args

  test('a changed setting holds after a reload and a restart of serve on the same database', async () => {
    const db = tempDb('fst')
    let { url, serve } = await startServe(net, net.a, '--db', db)
    let { browser, page, problems } = await openPage(net, net.a, `${url}#settings`, args())
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      await expect(page.getByTestId('tick')).toHaveValue('1000')
      await page.getByLabel('B/s', { exact: true }).check()
      await page.getByTestId('prefix-iec').check()
      await page.getByTestId('tick').fill('500')
      await page.getByTestId('default-filter').fill('icmp')
      await page.getByTestId('general-save').click()
      await expect(page.getByTestId('general-saved')).toBeVisible()
      // The header's toggle follows, and says which is pressed.
      await expect(page.getByTestId('unit-bytes')).toHaveAttribute('aria-pressed', 'true')
      await expect(page.getByTestId('unit-bits')).toHaveAttribute('aria-pressed', 'false')
      await expect(page.locator('#tick-note')).toContainText('running now with 1000 ms')

      await page.reload()
      await expect(page.getByTestId('connection')).toHaveText('open')
      await expect(page.getByTestId('tick')).toHaveValue('500')
      await expect(page.getByTestId('prefix-iec')).toBeChecked()
      expect(problems).toEqual([])
    } finally {
      await browser.close()
    }

    await stopServe(serve)
    ;({ url, serve } = await startServe(net, net.a, '--db', db))
    const rxAtStart = net.counter(net.a, net.vethA, 'rx_bytes')
    // A new browser: nothing cached in the page, so what shows comes from the engine.
    ;({ browser, page, problems } = await openPage(net, net.a, `${url}#settings`, args()))
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      await expect(page.getByTestId('tick')).toHaveValue('500')
      await expect(page.getByTestId('prefix-iec')).toBeChecked()
      await expect(page.getByTestId('default-filter')).toHaveValue('icmp')
      // The stored tick applied at this start.
      await expect(page.locator('#tick-note')).toContainText('running now with 500 ms')
      // And the units apply: a veth that received 5 × 1.4 kB shows its total in KiB.
      const ping = net.spawn(net.b, ['ping', '-c', '5', '-i', '0.2', '-s', '1400', net.addrA])
      await new Promise((r) => ping.once('exit', r))
      await page.getByTestId('nav-interfaces').click()
      const total = page.getByTestId(`${net.vethA}-rx-total`)
      await expect(total).toHaveText(/^\d+(\.\d+)? KiB$/, { timeout: 5000 })
      const kib = Number((await total.textContent())!.split(' ')[0])
      // The page counts from the engine's start; so does this (the veth saw traffic before).
      const kernel = (net.counter(net.a, net.vethA, 'rx_bytes') - rxAtStart) / 1024
      expect(Math.abs(kib - kernel) / kernel).toBeLessThan(0.05)
      // The default capture filter is offered on the Connections page.
      await page.getByTestId('nav-connections').click()
      await expect(page.getByTestId('capture-bpf')).toHaveValue('icmp')
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      await stopServe(serve)
    }
  })

  test('invalid values are refused with the reason next to the field', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fst'))
    const { browser, page, problems } = await openPage(net, net.a, `${url}#settings`, args())
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      await expect(page.locator('#tick-note')).toContainText('running now with 1000 ms') // loaded
      await page.getByTestId('tick').fill('50')
      await page.getByTestId('general-save').click()
      // The engine refuses the first bad field it finds, and names it.
      const tickError = page.getByTestId('error-err-tick_ms')
      await expect(tickError).toHaveText('at least 100 ms')
      await expect(page.getByTestId('tick')).toHaveAttribute('aria-invalid', 'true')
      await expect(page.getByTestId('tick')).toHaveAttribute('aria-describedby', /err-tick_ms/)
      await page.getByTestId('tick').fill('800')
      await page.getByTestId('default-filter').fill('x'.repeat(2100))
      await page.getByTestId('general-save').click()
      await expect(page.getByTestId('error-err-capture-filter')).toHaveText(
        'at most 2048 characters',
      )
      await expect(tickError).toHaveCount(0)
      // Nothing was saved by the refused attempts.
      await page.reload()
      await expect(page.getByTestId('tick')).toHaveValue('1000')
      await expect(page.getByTestId('default-filter')).toHaveValue('')

      // Probe targets: each one is checked with the probe parser, the bad line named.
      await expect(page.getByTestId('probes-form')).toHaveAttribute('data-loaded', 'true')
      await page.getByTestId('probe-targets').fill('icmp://127.0.0.1\ngopher://example')
      await page.getByTestId('probes-save').click()
      await expect(page.getByTestId('error-err-targets')).toContainText('line 2: ')
      await expect(page.getByTestId('error-err-targets')).toContainText('gopher')
      await page.getByTestId('probe-targets').fill('icmp://127.0.0.1')
      await page.getByTestId('probe-interval-setting').fill('5')
      await page.getByTestId('probes-save').click()
      await expect(page.getByTestId('error-err-interval_ms')).toBeVisible()
      await expect(page.getByTestId('error-err-targets')).toHaveCount(0)

      // Retention: unreadable text is refused here, a zero by the engine.
      await expect(page.getByTestId('retention-probes-1m')).not.toHaveValue('') // loaded
      await page.getByTestId('retention-probes-1m').fill('soon')
      await page.getByTestId('retention-save').click()
      await expect(page.getByTestId('error-err-probes-1m')).toContainText('a duration')
      await page.getByTestId('retention-probes-1m').fill('0')
      await page.getByTestId('retention-save').click()
      await expect(page.getByTestId('error-err-probes-1m')).toBeVisible()
      await expect(page.getByTestId('error-err-probes-1m')).not.toContainText('a duration')

      // Flow export: the engine's checks, placed next to the field they name.
      await page.getByTestId('fx-collectors').fill('gopher://127.0.0.1:4739')
      await page.getByRole('button', { name: 'Save flow export' }).click()
      await expect(page.getByTestId('error-err-collectors')).toContainText('gopher')
      await page.getByTestId('fx-collectors').fill('ipfix://127.0.0.1:4739')
      await page.getByTestId('fx-idle').fill('0')
      await page.getByRole('button', { name: 'Save flow export' }).click()
      await expect(page.getByTestId('error-err-idle_timeout_s')).toContainText('from 1')
      await expect(page.getByTestId('error-err-collectors')).toHaveCount(0)

      // Alert rules: a webhook that is not http(s).
      await page.getByTestId('webhook-url').fill('ftp://example.net/hook')
      await page.getByRole('button', { name: 'Add webhook' }).click()
      await expect(page.getByTestId('error-err-new-webhook')).toContainText('http')
      // A rule without a name.
      await page.getByTestId('rule-threshold').fill('1000')
      await page.getByTestId('rule-add').click()
      await expect(page.getByTestId('error-err-new-rule-name')).toBeVisible()
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      await stopServe(serve)
    }
  })

  test('a settings file exports, and imports with its errors shown', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fst'))
    const { browser, page, problems } = await openPage(net, net.a, `${url}#settings`, args())
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      const download = page.waitForEvent('download')
      await page.getByTestId('settings-export').click()
      const file = await (await download).path()
      const exported = SettingsFile.parse(JSON.parse(readFileSync(file, 'utf8')))
      expect(exported.settings.theme).toBe('system')
      expect(exported.retention).toBeDefined()
      expect(exported.alerts).toBeDefined()
      expect(exported.flowexport).toMatchObject({ enabled: false })
      expect(exported.probe_targets).toEqual({ targets: [], interval_ms: 1000 })

      const dir = tmpdir()
      const bad = join(dir, 'fst-bad-settings.json')
      writeFileSync(
        bad,
        JSON.stringify({ ...exported, settings: { ...exported.settings, tick_ms: 5 } }),
      )
      await page.getByTestId('settings-import').setInputFiles(bad)
      await expect(page.getByTestId('import-problems')).toContainText(
        'settings.tick_ms: at least 100 ms',
      )
      const alien = join(dir, 'fst-alien.json')
      writeFileSync(alien, '{"hello": 1}')
      await page.getByTestId('settings-import').setInputFiles(alien)
      await expect(page.getByTestId('import-problems')).toContainText(
        'not a Flowscope settings file',
      )

      const good = join(dir, 'fst-good-settings.json')
      writeFileSync(
        good,
        JSON.stringify({
          ...exported,
          settings: { ...exported.settings, tick_ms: 750 },
          probe_targets: { targets: ['tcp://127.0.0.1:22'], interval_ms: 500 },
        }),
      )
      await page.getByTestId('settings-import').setInputFiles(good)
      await expect(page.getByTestId('import-done')).toHaveText('Imported fst-good-settings.json.')
      await expect(page.getByTestId('tick')).toHaveValue('750')
      await expect(page.getByTestId('probe-targets')).toHaveValue('tcp://127.0.0.1:22')
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      await stopServe(serve)
    }
  })

  test('a rule added here fires into the live region; the interfaces shown filter the page', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fst'))
    const { browser, page, problems } = await openPage(net, net.a, `${url}#settings`, args())
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      await expect(page.locator('#tick-note')).toContainText('running now with 1000 ms')
      // Only the veth: the Interfaces page then leaves lo out.
      await page.getByTestId('interfaces-all').uncheck()
      await page.getByRole('checkbox', { name: net.vethA }).check()
      await page.getByTestId('general-save').click()
      await expect(page.getByTestId('general-saved')).toBeVisible()

      await page.getByTestId('rule-name').fill('veth busy')
      await page.getByTestId('rule-metric').selectOption('interface_receive_bytes_per_second')
      await page.getByTestId('rule-threshold').fill('500')
      await page.getByTestId('rule-for').fill('0s')
      await page.getByTestId('rule-add').click()
      await expect(page.getByTestId('alert-rules')).toContainText('veth busy')

      await page.getByTestId('nav-interfaces').click()
      await expect(page.locator(`[data-interface="${net.vethA}"]`)).toBeVisible()
      await expect(page.locator('[data-interface="lo"]')).toHaveCount(0)

      net.spawn(net.b, ['ping', '-i', '0.2', '-c', '40', '-s', '1000', net.addrA])
      // The notice lands inside the polite live region (role=log), announced without focus.
      const toast = page.locator('[role=log][aria-live=polite] [data-testid=alert-toast]')
      await expect(toast.first()).toContainText('veth busy', { timeout: 15_000 })
      await expect(page.getByTestId('alerts-button')).toHaveAttribute(
        'aria-label',
        /Alerts: [1-9]\d* firing/,
      )
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      await stopServe(serve)
    }
  })

  test('the theme changes the colours of the page and of the charts, in every window', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fst'))
    const viewer = await openPage(net, net.a, `${url}#interfaces`, args())
    const { page } = viewer
    // A second window (its own browser context) changes the theme; the first must follow.
    const settings = await (await viewer.browser.newContext()).newPage()
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      await settings.goto(`${url}#settings`)
      await expect(settings.getByTestId('connection')).toHaveText('open')
      const chart = `[data-interface="${net.vethA}"] canvas`
      await expect(page.locator(chart)).toBeVisible()
      await page.waitForTimeout(1500)

      const read = async () => ({
        bg: await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
        text: await page.evaluate(() => getComputedStyle(document.body).color),
        grid: await cssToken(page, 'grid'),
        rx: await cssToken(page, 'rx'),
      })
      await settings.getByTestId('theme-dark').check()
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
      const dark = await read()
      await page.waitForTimeout(1200)
      const darkGrid = await pixelsNear(page, chart, dark.grid)
      const darkRx = await pixelsNear(page, chart, dark.rx)

      await settings.getByTestId('theme-light').check()
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
      const light = await read()
      await page.waitForTimeout(1200)
      expect(light.bg).toBe('rgb(255, 255, 255)')
      expect(dark.bg).toBe('rgb(13, 17, 23)')
      expect(light.text).not.toBe(dark.text)
      expect(light.grid).not.toBe(dark.grid)
      // The chart was redrawn from the light tokens: its grid and its "in" line are in the light
      // colours, and nothing is left in the dark grid colour.
      const lightGrid = await pixelsNear(page, chart, light.grid)
      const lightRx = await pixelsNear(page, chart, light.rx)
      console.log(
        `chart pixels: dark grid ${darkGrid}, dark rx ${darkRx}; light grid ${lightGrid}, light rx ${lightRx}; dark grid left in light ${await pixelsNear(page, chart, dark.grid)}`,
      )
      expect(darkGrid).toBeGreaterThan(50)
      expect(lightGrid).toBeGreaterThan(50)
      expect(darkRx).toBeGreaterThan(10)
      expect(lightRx).toBeGreaterThan(10)
      expect(await pixelsNear(page, chart, dark.grid)).toBe(0)

      // 'system' follows the browser's preference, switched here by emulation.
      await settings.getByTestId('theme-system').check()
      await expect(page.locator('html')).not.toHaveAttribute('data-theme', /.+/)
      await page.emulateMedia({ colorScheme: 'light' })
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
        'rgb(255, 255, 255)',
      )
      await page.emulateMedia({ colorScheme: 'dark' })
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
        'rgb(13, 17, 23)',
      )
      expect(viewer.problems).toEqual([])
    } finally {
      await viewer.browser.close()
      await stopServe(serve)
    }
  })
})
