/**
 * The live interfaces page in a real browser against serve mode, with real traffic: serve runs in
 * a private network namespace, iperf3 pushes UDP at a fixed rate across a veth pair, and the rate
 * the page shows must be within 5% of the rate the kernel's own counters imply.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { parseRate } from '../../common/units'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const ARTIFACTS = 'test/e2e/artifacts'
const missing = missingForE2e('iperf3')

test.describe('serve mode: live interfaces', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)
  if (missing.length > 0) console.log(`SKIP serve-interfaces e2e: needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fse', '10.78.0', 'fd78')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  const readCurrent = async (page: Page, dev: string) => {
    const text = await page.getByTestId(`${dev}-rx-current`).textContent()
    const bps = parseRate(text ?? '')
    if (bps === null) throw new Error(`unreadable rate '${text}'`)
    return bps
  }

  test('shows rates that follow the kernel counters within 5%', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fse'))
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
      { width: 1280, height: 900 },
    )
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')
      const card = page.locator(`[data-interface="${net.vethA}"]`)
      await expect(card).toBeVisible()
      // The token moved out of the address bar.
      expect(page.url()).not.toContain('token=')
      const recordedFrom = net.counter(net.a, net.vethA, 'rx_bytes')

      // Idle first: a veth with no traffic shows (almost) nothing.
      await page.waitForTimeout(2500)
      expect(await readCurrent(page, net.vethA)).toBeLessThan(2_000)

      net.spawn(net.a, ['iperf3', '-s', '-1', '-p', '5301'])
      await page.waitForTimeout(500)
      net.spawn(net.b, [
        'iperf3',
        '-c',
        net.addrA,
        '-p',
        '5301',
        '-u',
        '-b',
        '40M',
        '-l',
        '1200',
        '-t',
        '16',
      ])
      await page.waitForTimeout(4000) // let the flow settle

      // Over the same few seconds: the kernel's counter delta, and every value the page showed.
      const t0 = performance.now()
      const bytes0 = net.counter(net.a, net.vethA, 'rx_bytes')
      // A tick is seen as a change of the interface's total; the current rate is read at each tick.
      const shown: number[] = []
      const total = page.getByTestId(`${net.vethA}-rx-total`)
      let last = await total.textContent()
      while (performance.now() - t0 < 6500) {
        await page.waitForTimeout(100)
        const now = await total.textContent()
        if (now !== last) {
          const text = await page.getByTestId(`${net.vethA}-rx-current`).textContent()
          if (process.env.FLOWSCOPE_E2E_DEBUG) console.log(now, text)
          shown.push(parseRate(text ?? '') ?? NaN)
          last = now
        }
      }
      const bytes1 = net.counter(net.a, net.vethA, 'rx_bytes')
      const kernel_bps = (bytes1 - bytes0) / ((performance.now() - t0) / 1000)
      const page_bps = shown.reduce((a, b) => a + b, 0) / shown.length
      console.log(
        `kernel ${(kernel_bps * 8e-6).toFixed(2)} Mbit/s, page ${(page_bps * 8e-6).toFixed(2)} Mbit/s over ${shown.length} ticks`,
      )

      expect(kernel_bps).toBeGreaterThan(4e6) // ~40 Mbit/s of UDP really flowed
      expect(shown.length).toBeGreaterThanOrEqual(5) // the page kept moving, once per second
      expect(Math.abs(page_bps - kernel_bps) / kernel_bps).toBeLessThan(0.05)
      for (const v of shown) expect(Math.abs(v - kernel_bps) / kernel_bps).toBeLessThan(0.2)

      // The other statistics are consistent with what was shown.
      const max = parseRate((await page.getByTestId(`${net.vethA}-rx-max`).textContent()) ?? '')!
      expect(max).toBeGreaterThanOrEqual(Math.max(...shown) * 0.995)
      await page.getByTestId('unit-bytes').click()
      await expect(page.getByTestId(`${net.vethA}-rx-current`)).toHaveText(/B\/s$/)

      mkdirSync(ARTIFACTS, { recursive: true })
      await page.getByTestId('unit-bits').click()
      await page.screenshot({ path: `${ARTIFACTS}/interfaces.png`, fullPage: true })

      // History: once iperf3 is done and the writer has flushed, the recorded bytes of the veth
      // equal what the kernel counted over the same time, in the page and in the CSV export.
      await page.waitForTimeout(9000)
      const kernelRecorded = net.counter(net.a, net.vethA, 'rx_bytes') - recordedFrom
      await page.getByTestId('nav-history').click()
      await page.getByTestId('history-preset-hour').click()
      await page.getByTestId('history-by').selectOption('interface')
      const cell = page.locator(
        `[data-testid=history-row]:has(td[data-raw="${net.vethA}"]) td[data-col=rx_bytes]`,
      )
      await expect(cell).toBeVisible()
      const recorded = Number(await cell.getAttribute('data-raw'))
      console.log(`recorded ${recorded} bytes, kernel ${kernelRecorded} bytes`)
      expect(Math.abs(recorded - kernelRecorded) / kernelRecorded).toBeLessThan(0.01)
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('history-export-csv').click(),
      ])
      const csv = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n')
      // The export is what the chart shows: the range in buckets; the veth's add up to its total.
      expect(csv[0]).toBe('bucket_start,interface,rx_bytes,tx_bytes,rx_packets,tx_packets,drops')
      const exported = csv
        .slice(1)
        .map((l) => l.split(','))
        .filter((f) => f[1] === net.vethA)
        .reduce((sum, f) => sum + Number(f[2]), 0)
      expect(exported).toBe(recorded)
      await page.screenshot({ path: `${ARTIFACTS}/history.png`, fullPage: true })
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })

  test('the page without the token explains how to get in', async () => {
    const { url, serve } = await startServe(net, net.a, '--no-store')
    const { browser, page } = await openPage(
      net,
      net.a,
      url.replace(/\?token=.*/, ''),
      test.info().project.use.launchOptions?.args,
    )
    try {
      await expect(page.getByText('needs the access token')).toBeVisible()
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
