/**
 * The probes page in a real browser: serve mode in one namespace probes a UDP echo responder in
 * the other, which delays replies by uniform 15-25 ms and drops 10%, both known. The page must
 * show loss, RTT and jitter near the truth and plot every probe; history keeps the results.
 */
import { execFileSync } from 'node:child_process'
import { expect, test } from '@playwright/test'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('python3', 'sqlite3')
if (missing.length > 0) console.log(`SKIP serve-probes e2e: needs ${missing.join(', ')}`)

test.describe('serve mode: probes', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fsq', '10.75.0', 'fd75')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('shows loss, RTT and jitter of a responder with known delay and loss', async () => {
    const responder = net.spawn(net.b, [
      'python3',
      'test/fixtures/probes/responder.py',
      'udp-echo',
      '--port',
      '7007',
      '--delay-min',
      '15',
      '--delay-max',
      '25',
      '--drop',
      '0.1',
      '--seed',
      '7',
    ])
    await new Promise<void>((resolve) =>
      responder.stdout!.on('data', (d) => String(d).includes('ready') && resolve()),
    )
    const db = tempDb('fsq')
    const { url, serve } = await startServe(net, net.a, '--db', db)
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    try {
      await page.getByTestId('nav-probes').click()

      // A malformed target is refused with a message.
      await page.getByTestId('probe-target').fill('udp://no-port-here')
      await page.getByTestId('probe-toggle').click()
      await expect(page.getByTestId('probe-error')).toContainText('bad probe target')
      await page.getByRole('button', { name: 'remove udp://no-port-here' }).click()

      const target = `udp://${net.addrB}:7007`
      await page.getByTestId('probe-target').fill(target)
      await page.locator('input[type=number]').first().fill('50')
      await page.getByTestId('probe-toggle').click()
      await page.getByText('whole run').click()
      // 400 probes at 50 ms: 20 s.
      const row = page.locator(`[data-testid=probe-stats] tr[data-target="${target}"]`)
      await expect(row.locator('td').nth(1)).toHaveText(/^(4\d\d|[5-9]\d\d)$/, { timeout: 40_000 })
      await page.getByTestId('probe-toggle').click()
      const cells = await row.locator('td').allTextContents()
      const [sent, received, loss, avg, jitter] = [1, 2, 3, 5, 9].map((i) => Number(cells[i])) as [
        number,
        number,
        number,
        number,
        number,
      ]
      console.log(
        `sent ${sent} received ${received} loss ${loss}% avg ${avg} ms jitter ${jitter} ms`,
      )
      // Truth: 10% dropped (binomial: 3 sigma over 400 is +-4.5 points), mean delay 20 ms plus a
      // little stack time, mtr jitter of i.i.d. uniform(15, 25) delays E|X-Y| = 10/3 ms
      // (over consecutive replies; dropped ones skipped: still i.i.d.).
      expect(loss).toBeGreaterThan(5)
      expect(loss).toBeLessThan(15)
      expect(avg).toBeGreaterThan(19)
      expect(avg).toBeLessThan(23)
      expect(jitter).toBeGreaterThan(2.7)
      expect(jitter).toBeLessThan(4.0)
      expect(sent - received).toBe(Math.round((sent * loss) / 100))

      // History kept them, read back with the sqlite3 CLI: the same run plus the probes that
      // were in flight when it stopped (at most two intervals' worth per second of timeout).
      await page.waitForTimeout(4000) // in-flight probes end, the writer commits
      const [dbSent, dbReceived] = execFileSync(
        'sqlite3',
        [db, 'SELECT sum(sent), sum(received) FROM probe_series WHERE step_s = 10'],
        { encoding: 'utf8' },
      )
        .trim()
        .split('|')
        .map(Number)
      console.log(`history: sent ${dbSent} received ${dbReceived}`)
      expect(dbSent).toBeGreaterThanOrEqual(sent)
      expect(dbSent).toBeLessThanOrEqual(sent + 60)
      expect(Math.abs(100 * (1 - dbReceived! / dbSent!) - loss)).toBeLessThan(2)
      await page.screenshot({ path: 'test/e2e/artifacts/probes.png' })
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
      responder.kill('SIGTERM')
    }
  })
})
