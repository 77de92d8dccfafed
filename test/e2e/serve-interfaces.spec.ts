/**
 * The live interfaces page in a real browser against serve mode, with real traffic: serve runs in
 * a private network namespace, iperf3 pushes UDP at a fixed rate across a veth pair, and the rate
 * the page shows must be within 5% of the rate the kernel's own counters imply.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, chromium, type Page } from '@playwright/test'
import { parseRate } from '../../common/units'
import { hasCommand, isRoot, VethPair } from '../support/netns'

const ARTIFACTS = 'test/e2e/artifacts'
const missing = [
  !isRoot && 'root (network namespaces)',
  !hasCommand('ip') && 'iproute2',
  !hasCommand('iperf3') && 'iperf3',
  !existsSync('/usr/bin/chromium') && '/usr/bin/chromium',
  !existsSync('out/renderer/index.html') && 'a build (npm run build)',
].filter(Boolean)

test.describe('serve mode: live interfaces', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)
  if (missing.length > 0) console.log(`SKIP serve-interfaces e2e: needs ${missing.join(', ')}`)

  let net: VethPair
  test.beforeAll(() => {
    net = new VethPair('fse')
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
    const db = join(mkdtempSync(join(tmpdir(), 'fse-db-')), 'history.db')
    const serve = net.spawn(
      net.a,
      process.execPath,
      'bin/flowscope.cjs',
      'serve',
      '--port',
      '0',
      '--db',
      db,
    )
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      serve.stdout!.on('data', (d) => {
        out += d
        const m = /(http:\/\/\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
    })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)

    const browser = await chromium.launch({
      executablePath: net.chromiumIn(net.a),
      args: test.info().project.use.launchOptions?.args,
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(url)
      await expect(page.getByTestId('connection')).toHaveText('open')
      const card = page.locator(`[data-interface="${net.ifA}"]`)
      await expect(card).toBeVisible()
      // The token moved out of the address bar.
      expect(page.url()).not.toContain('token=')
      const recordedFrom = net.counter(net.a, net.ifA, 'rx_bytes')

      // Idle first: a veth with no traffic shows (almost) nothing.
      await page.waitForTimeout(2500)
      expect(await readCurrent(page, net.ifA)).toBeLessThan(2_000)

      net.spawn(net.a, 'iperf3', '-s', '-1', '-p', '5301')
      await page.waitForTimeout(500)
      net.spawn(
        net.b,
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
      )
      await page.waitForTimeout(4000) // let the flow settle

      // Over the same few seconds: the kernel's counter delta, and every value the page showed.
      const t0 = performance.now()
      const bytes0 = net.counter(net.a, net.ifA, 'rx_bytes')
      // A tick is seen as a change of the interface's total; the current rate is read at each tick.
      const shown: number[] = []
      const total = page.getByTestId(`${net.ifA}-rx-total`)
      let last = await total.textContent()
      while (performance.now() - t0 < 6500) {
        await page.waitForTimeout(100)
        const now = await total.textContent()
        if (now !== last) {
          const text = await page.getByTestId(`${net.ifA}-rx-current`).textContent()
          if (process.env.FLOWSCOPE_E2E_DEBUG) console.log(now, text)
          shown.push(parseRate(text ?? '') ?? NaN)
          last = now
        }
      }
      const bytes1 = net.counter(net.a, net.ifA, 'rx_bytes')
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
      const max = parseRate((await page.getByTestId(`${net.ifA}-rx-max`).textContent()) ?? '')!
      expect(max).toBeGreaterThanOrEqual(Math.max(...shown) * 0.995)
      await page.getByTestId('unit-bytes').click()
      await expect(page.getByTestId(`${net.ifA}-rx-current`)).toHaveText(/B\/s$/)

      mkdirSync(ARTIFACTS, { recursive: true })
      await page.getByTestId('unit-bits').click()
      await page.screenshot({ path: `${ARTIFACTS}/interfaces.png`, fullPage: true })

      // History: once iperf3 is done and the writer has flushed, the recorded bytes of the veth
      // equal what the kernel counted over the same time, in the page and in the CSV export.
      await page.waitForTimeout(9000)
      const kernelRecorded = net.counter(net.a, net.ifA, 'rx_bytes') - recordedFrom
      await page.getByTestId('nav-history').click()
      await page.getByTestId('history-range').selectOption('15m')
      await page.getByTestId('history-by').selectOption('interface')
      await page.getByTestId('history-load').click()
      const cell = page.locator(
        `[data-testid=history-row]:has(td[data-raw="${net.ifA}"]) td[data-col=rx_bytes]`,
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
      expect(csv[0]).toBe('interface,rx_bytes,tx_bytes,rx_packets,tx_packets,drops')
      expect(csv.find((l) => l.startsWith(`${net.ifA},`))?.split(',')[1]).toBe(String(recorded))
      await page.screenshot({ path: `${ARTIFACTS}/history.png`, fullPage: true })
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })

  test('the page without the token explains how to get in', async () => {
    const serve = net.spawn(
      net.a,
      process.execPath,
      'bin/flowscope.cjs',
      'serve',
      '--port',
      '0',
      '--no-store',
    )
    const url = await new Promise<string>((resolve) => {
      serve.stdout!.on('data', (d) => {
        const m = /(http:\/\/\S+)/.exec(String(d))
        if (m) resolve(m[1]!)
      })
    })
    const browser = await chromium.launch({
      executablePath: net.chromiumIn(net.a),
      args: test.info().project.use.launchOptions?.args,
    })
    try {
      const page = await browser.newPage()
      await page.goto(url.replace(/\?token=.*/, ''))
      await expect(page.getByText('needs the access token')).toBeVisible()
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
