/**
 * History and the capture panel in a real browser against serve mode with real traffic: serve
 * captures a veth in one namespace while iperf3 pushes TCP from the other. The Interfaces page
 * shows bytes by protocol and capture health while the capture runs; History charts the range,
 * zooms on the wheel, lists the conversations behind a clicked bucket (their bytes equal the
 * bucket's), and exports what it shows with the same totals as `flowscope report` on the same DB.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('iperf3')
if (missing.length > 0) console.log(`SKIP serve-history e2e: needs ${missing.join(', ')}`)

/** Bytes of a conversation CSV (both directions), and its rows. */
function csvTotals(text: string): { rows: number; bytes: number } {
  const [head, ...lines] = text.trim().split('\n')
  const cols = head!.split(',')
  const ab = cols.indexOf('bytes_a_to_b')
  const ba = cols.indexOf('bytes_b_to_a')
  let bytes = 0
  for (const l of lines) {
    const f = l.split(',')
    bytes += Number(f[ab]) + Number(f[ba])
  }
  return { rows: lines.length, bytes }
}

const span = async (page: Page) => {
  const el = page.getByTestId('history-span')
  return {
    from_s: Number(await el.getAttribute('data-from-s')),
    to_s: Number(await el.getAttribute('data-to-s')),
  }
}

test.describe('serve mode: history and capture panel', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fhh', '10.161.0', 'fd61')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('capture panel, history zoom, bucket drill-down, export equals report', async () => {
    const db = tempDb('fhh')
    // An alert rule the iperf3 stream (20 Mbit/s = 2.5 MB/s) fires and its end resolves.
    const rules = join(dirname(db), 'rules.yaml')
    writeFileSync(
      rules,
      `rules:\n  - name: veth busy\n    metric: interface_receive_bytes_per_second\n    match: { device: ${net.vethA} }\n    above: 1000000\n    clear: 100000\n`,
    )
    const { url, serve } = await startServe(net, net.a, '--db', db, '--rules', rules)
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    try {
      // No capture yet: the panel says what to do.
      await expect(page.getByTestId('capture-none')).toContainText('start one')

      await page.getByTestId('nav-connections').click()
      await page.getByTestId('capture-iface').selectOption(net.vethA)
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Stop')
      net.spawn(net.a, ['iperf3', '-s', '-1', '-p', '5311'])
      await page.waitForTimeout(400)
      const iperf = net.spawn(net.b, [
        'iperf3',
        '-c',
        net.addrA,
        '-p',
        '5311',
        '-b',
        '20M',
        '-t',
        '5',
      ])
      const iperfDone = new Promise((resolve) => iperf.on('exit', resolve))

      // While it runs: bytes by protocol and capture health beside the nload view.
      await page.getByTestId('nav-interfaces').click()
      const tcp = page.locator(
        '[data-testid=capture-protocols] tr[data-protocol="tcp"] td[data-col=bytes]',
      )
      await expect(tcp).toBeVisible({ timeout: 10_000 })
      await expect
        .poll(async () => Number(await tcp.getAttribute('data-raw')), { timeout: 10_000 })
        .toBeGreaterThan(1_000_000)
      const received = Number(
        ((await page.getByTestId('capture-received').textContent()) ?? '').replace(/\D/g, ''),
      )
      expect(received).toBeGreaterThan(100)
      await expect(page.getByTestId('capture-dropped-kernel')).toHaveText('0')

      await iperfDone
      await page.getByTestId('nav-connections').click()
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Start capture')
      await page.waitForTimeout(3000) // the history writer commits every 2 s

      // History: last hour by conversation, 10 s buckets.
      await page.getByTestId('nav-history').click()
      await page.getByTestId('history-preset-hour').click()
      await expect(page.getByTestId('history-preset-hour')).toHaveAttribute('aria-pressed', 'true')
      await page.getByTestId('history-by').selectOption('conversation')
      const chart = page.getByTestId('history-chart')
      await expect(chart).toBeVisible()
      await expect(page.getByTestId('history-span')).toHaveAttribute('data-bucket', '10s')
      const before = await span(page)
      expect(before.to_s - before.from_s).toBeGreaterThanOrEqual(3599)

      // Zoom with the wheel near the right edge (where the traffic is): the range narrows and
      // is read again; the iperf3 conversation is still in it.
      const box = (await chart.boundingBox())!
      await page.mouse.move(box.x + box.width - 12, box.y + box.height / 2)
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -100)
      await expect
        .poll(async () => {
          const s = await span(page)
          return s.to_s - s.from_s
        })
        .toBeLessThan(0.5 * (before.to_s - before.from_s))
      await expect(page.getByTestId('history-preset-hour')).toHaveAttribute('aria-pressed', 'false')
      const zoomedTo = await span(page)
      console.log(
        `zoomed from ${before.to_s - before.from_s} s to ${zoomedTo.to_s - zoomedTo.from_s} s`,
      )
      // Pan to the latest minutes (the range stops at now) with the keyboard-reachable button.
      for (let i = 0; i < 4 && (await span(page)).to_s < Date.now() / 1000 - 2; i++) {
        await page.getByRole('button', { name: 'Later' }).click()
        await page.waitForTimeout(600)
      }
      const panned = await span(page)
      expect(panned.to_s).toBeGreaterThan(Date.now() / 1000 - 5)
      await expect(
        page.locator('[data-testid=history-table] td[data-col=port_b][data-raw="5311"]').first(),
      ).toBeVisible()

      // The alert fired and resolved in the range: listed under the chart (and marked on it).
      const alerts = page.locator('[data-testid=history-alerts] li[data-rule="veth busy"]')
      await expect(alerts.and(page.locator('[data-status=firing]'))).toHaveCount(1)
      await expect(alerts.and(page.locator('[data-status=resolved]'))).toHaveCount(1)

      // Click bars from the right edge leftwards until a bucket with the iperf3 stream opens.
      const box2 = (await chart.boundingBox())!
      const drill = page.getByTestId('history-drill')
      const drillRow = page.locator(
        '[data-testid=history-drill-table] [data-testid=history-row]:has(td[data-raw="5311"])',
      )
      let found = false
      for (let x = box2.width - 14; x > box2.width * 0.3 && !found; x -= 8) {
        await page.mouse.click(box2.x + x, box2.y + box2.height - 40)
        await expect(drill).toBeVisible()
        await expect(drill.getByText('Loading…')).toHaveCount(0)
        found = (await drillRow.count()) > 0
      }
      expect(found).toBe(true)
      const zoomed = await span(page)
      const drillStart = await drill.getAttribute('data-start')
      // The bucket's conversations add up to the bucket's bar (all of them are in the top N).
      let drillBytes = 0
      for (const col of ['bytes_a_to_b', 'bytes_b_to_a'])
        for (const v of await page
          .locator(`[data-testid=history-drill-table] td[data-col=${col}]`)
          .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-raw')))))
          drillBytes += v
      const barBytes = Number(
        await page
          .locator(`[data-testid=history-buckets] tr[data-bucket="${drillStart}"] td[data-raw]`)
          .getAttribute('data-raw'),
      )
      console.log(`bucket ${drillStart}: bar ${barBytes} bytes, its conversations ${drillBytes}`)
      expect(drillBytes).toBeGreaterThan(100_000)
      expect(drillBytes).toBe(barBytes)

      // Export what is shown and ask `flowscope report` for the same query on the same DB.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('history-export-csv').click(),
      ])
      const exported = csvTotals(readFileSync((await download.path())!, 'utf8'))
      const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z')
      const report = execFileSync(
        process.execPath,
        [
          'bin/flowscope.cjs',
          'report',
          '--db',
          db,
          '--from',
          iso(zoomed.from_s),
          '--to',
          iso(zoomed.to_s),
          '--by',
          'conversation',
          '--bucket',
          '10s',
          '--top',
          '8',
          '--format',
          'csv',
        ],
        { encoding: 'utf8' },
      )
      const reported = csvTotals(report)
      console.log(
        `export: ${exported.rows} rows ${exported.bytes} bytes; report: ${reported.rows} rows ${reported.bytes} bytes`,
      )
      expect(exported.bytes).toBeGreaterThan(1_000_000)
      expect(exported).toEqual(reported)
      // The JSON export carries the same rows.
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('history-export-json').click(),
      ])
      const parsed = JSON.parse(readFileSync((await json.path())!, 'utf8')) as unknown
      const rows = Array.isArray(parsed) ? parsed : (parsed as { rows: unknown[] }).rows
      expect(rows.length).toBe(reported.rows)

      // Every page once more, for console errors.
      for (const p of ['probes', 'connections', 'interfaces', 'history'])
        await page.getByTestId(`nav-${p}`).click()
      await page.screenshot({ path: 'test/e2e/artifacts/history-zoom.png', fullPage: true })
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
