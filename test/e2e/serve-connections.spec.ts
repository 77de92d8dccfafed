/**
 * The connections page (iftop) in a real browser: serve mode in a private namespace starts a
 * capture worker on a veth, iperf3 and ping run across it, and the page must list those
 * conversations with rates in line with the kernel counters, sortable and filterable.
 */
import { mkdirSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { parseRate } from '../../common/units'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('iperf3', 'ping')
if (missing.length > 0) console.log(`SKIP serve-connections e2e: needs ${missing.join(', ')}`)

test.describe('serve mode: live connections', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fsk', '10.76.0', 'fd76')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('lists the conversations crossing a veth with their rates', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fsk'))
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    try {
      await page.getByTestId('nav-connections').click()
      await page.getByTestId('capture-iface').selectOption(net.vethA)

      // A bad BPF expression is refused with a message, and nothing starts.
      await page.getByTestId('capture-bpf').fill('tcp port')
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-error')).toBeVisible()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Start capture')

      await page.getByTestId('capture-bpf').fill('')
      const captureFrom = net.counter(net.a, net.vethA, 'rx_bytes')
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Stop')

      net.spawn(net.a, ['iperf3', '-s', '-1', '-p', '5302'])
      await page.waitForTimeout(500)
      net.spawn(net.b, [
        'iperf3',
        '-c',
        net.addrA,
        '-p',
        '5302',
        '-u',
        '-b',
        '24M',
        '-l',
        '1200',
        '-t',
        '14',
      ])
      net.spawn(net.b, ['ping', '-i', '0.2', '-c', '60', net.addrA])
      await page.waitForTimeout(6000)

      const rows = page.getByTestId('conversation')
      await expect(rows.first()).toBeVisible()
      // Sorted by A→B 10 s rate, descending: the UDP stream is on top.
      const top = await rows.first().textContent()
      expect(top).toContain('udp')
      expect(top).toContain(`${net.addrB}:`)
      expect(top).toContain(`${net.addrA}:5302`)

      // Its 2 s rate agrees with the kernel's receive counter over the same seconds (UDP payload
      // plus headers on the wire, all in one conversation): within 5%.
      const t0 = performance.now()
      const bytes0 = net.counter(net.a, net.vethA, 'rx_bytes')
      await page.waitForTimeout(4000)
      const kernel_bps =
        (net.counter(net.a, net.vethA, 'rx_bytes') - bytes0) / ((performance.now() - t0) / 1000)
      const cells = await rows.first().locator('[role=cell]').allTextContents()
      const shown2s = parseRate(cells[3]!)!
      console.log(`kernel ${(kernel_bps * 8e-6).toFixed(2)} Mbit/s, page A→B 2s ${cells[3]}`)
      expect(Math.abs(shown2s - kernel_bps) / kernel_bps).toBeLessThan(0.05)

      // Every word of the filter must match: the ping, not IPv6 neighbour discovery (icmpv6).
      await page.getByTestId('conversation-filter').fill(`icmp ${net.addrB}`)
      await expect(rows).toHaveCount(1)
      await expect(rows.first()).toContainText('icmp')
      await page.getByTestId('conversation-filter').fill('')
      await page.getByTestId('sort-protocol').click()
      await expect(rows.first()).toContainText('icmp')
      await expect(page.getByTestId('capture-drops')).toContainText('0 kernel')

      mkdirSync('test/e2e/artifacts', { recursive: true })
      await page.getByTestId('sort-ab10').click()
      await page.screenshot({ path: 'test/e2e/artifacts/connections.png' })
      await page.getByTestId('capture-toggle').click()
      // The capture ends between the click and the page saying so (the helper hands over its
      // last block, at most 250 ms old): watch for that every 10 ms, not on expect's backoff,
      // which can see it up to half a second late while the stream still runs.
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=capture-toggle]')?.textContent?.trim() ===
          'Start capture',
        null,
        { polling: 10 },
      )
      const kernelDuringCapture = net.counter(net.a, net.vethA, 'rx_bytes') - captureFrom

      // The capture was recorded: the UDP stream's bytes are in history, and they are nearly all
      // the veth received while capturing (the rest is ping and neighbour discovery).
      await page.waitForTimeout(3000) // the history writer commits every 2 s
      await page.getByTestId('nav-history').click()
      await page.getByTestId('history-preset-hour').click()
      await page.getByTestId('history-by').selectOption('conversation')
      const udp = page.locator(
        '[data-testid=history-row]:has(td[data-raw="udp"]):has(td[data-raw="5302"]) td[data-col=bytes_a_to_b]',
      )
      await expect(udp).toBeVisible()
      const recorded = Number(await udp.getAttribute('data-raw'))
      console.log(
        `recorded udp ${recorded} bytes; veth received ${kernelDuringCapture} bytes while capturing`,
      )
      expect(recorded).toBeLessThanOrEqual(kernelDuringCapture)
      expect(recorded).toBeGreaterThan(0.97 * kernelDuringCapture)
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
