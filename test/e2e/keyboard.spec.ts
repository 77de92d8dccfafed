/**
 * Keyboard use against serve mode in a private namespace: the `?` help is an accessible modal
 * dialog listing every key; `g` then a letter switches page; iftop's keys act on the Connections
 * page (p ports, s/d source/destination, 1/2/3 sort, P pause, / filter, n names), each shown on
 * its control; keys are ignored while typing; focus is visible.
 */
import { expect, test, type Page } from '@playwright/test'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('ping')
if (missing.length > 0) console.log(`SKIP keyboard e2e: needs ${missing.join(', ')}`)

const KEYS = {
  global: ['?', 'g then i', 'g then c', 'g then p', 'g then h', 'g then s'],
  connections: ['n', 'p', 's', 'd', '1', '2', '3', 'P', '/'],
}

const focusInDialog = (page: Page) =>
  page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]')))

test.describe('serve mode: keyboard', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fsb', '10.99.0', 'fd99')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('help, page switching and the Connections keys', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fsb'))
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      `${url}#interfaces`,
      test.info().project.use.launchOptions?.args,
    )
    try {
      await expect(page.getByTestId('connection')).toHaveText('open')

      // `?` opens the help: a modal dialog, named, focus inside, every key listed.
      await page.keyboard.press('?')
      const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
      await expect(dialog).toBeVisible()
      await expect(dialog).toHaveAttribute('aria-modal', 'true')
      await expect(page.getByTestId('help-close')).toBeFocused()
      const listed = (await dialog.locator('th[scope=row]').allTextContents()).map((t) =>
        t.replace(/\s+/g, ' ').trim(),
      )
      for (const k of [...KEYS.global, ...KEYS.connections]) expect(listed).toContain(k)
      // Focus stays in the dialog, both ways.
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab')
        expect(await focusInDialog(page)).toBe(true)
      }
      await page.keyboard.press('Shift+Tab')
      expect(await focusInDialog(page)).toBe(true)
      // Page keys do nothing while it is open; Esc closes it.
      await page.keyboard.press('g')
      await page.keyboard.press('c')
      await page.keyboard.press('Escape')
      await expect(dialog).toBeHidden()
      await expect(page).toHaveURL(/#interfaces$/)

      // Opened from the button, it gives focus back to the button.
      await page.getByTestId('help-button').focus()
      await page.keyboard.press('Enter')
      await expect(dialog).toBeVisible()
      await page.keyboard.press('Escape')
      await expect(page.getByTestId('help-button')).toBeFocused()
      // A keyboard focus is visible: the ring is drawn from the --focus token.
      const ring = await page
        .getByTestId('help-button')
        .evaluate(
          (el) => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth,
        )
      expect(ring).toBe('solid 2px')
      await page.getByTestId('help-button').blur()

      // g then a letter: every page.
      for (const [key, id] of [
        ['c', 'connections'],
        ['p', 'probes'],
        ['h', 'history'],
        ['s', 'settings'],
        ['i', 'interfaces'],
      ] as const) {
        await page.keyboard.press('g')
        await page.keyboard.press(key)
        await expect(page).toHaveURL(new RegExp(`#${id}$`))
        await expect(page.getByTestId(`nav-${id}`)).toHaveAttribute('aria-current', 'page')
      }

      // Connections: a capture on the veth, with a ping across it.
      await page.keyboard.press('g')
      await page.keyboard.press('c')
      await page.getByTestId('capture-iface').selectOption(net.vethA)
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Stop')
      net.spawn(net.b, ['ping', '-i', '0.2', '-c', '30', net.addrA])
      await expect(page.getByTestId('conversation').first()).toBeVisible({ timeout: 10_000 })
      await page.getByTestId('capture-toggle').blur()

      // 1/2/3: sort by the 2 s, 10 s, 40 s average both ways (iftop), largest first; no column
      // shows that sum, so every header says none and the status line names the sort.
      const status = page.getByTestId('view-status')
      // aria-sort is on the column header; the sort button inside it has the test id.
      const header = (k: string) =>
        page.getByRole('columnheader').filter({ has: page.getByTestId(`sort-${k}`) })
      await page.getByTestId('sort-ab10').click()
      await expect(header('ab10')).toHaveAttribute('aria-sort', 'descending')
      for (const [key, w] of [
        ['1', '2 s'],
        ['2', '10 s'],
        ['3', '40 s'],
      ] as const) {
        await page.keyboard.press(key)
        await expect(status).toContainText(`sorted by the ${w} average, both ways`)
        await expect(header('ab10')).toHaveAttribute('aria-sort', 'none')
      }
      // A mouse click on a header sorts by it; again reverses it, and aria-sort says so.
      await page.getByTestId('sort-ab40').click()
      await expect(header('ab40')).toHaveAttribute('aria-sort', 'descending')
      await expect(status).not.toContainText('sorted by')
      await page.getByTestId('sort-ab40').click()
      await expect(header('ab40')).toHaveAttribute('aria-sort', 'ascending')

      // p: ports off and on again, on the Ports button.
      const ports = page.getByTestId('toggle-ports')
      await page.getByTestId('sort-ab40').blur()
      await expect(ports).toHaveAttribute('aria-pressed', 'true')
      await page.keyboard.press('p')
      await expect(ports).toHaveAttribute('aria-pressed', 'false')
      await page.keyboard.press('p')
      await expect(ports).toHaveAttribute('aria-pressed', 'true')
      // s / d: aggregate by source or destination; the same key again goes back.
      const group = page.getByTestId('conversation-group')
      await page.keyboard.press('s')
      await expect(group).toHaveValue('source')
      await page.keyboard.press('d')
      await expect(group).toHaveValue('destination')
      await page.keyboard.press('d')
      await expect(group).toHaveValue('conversation')
      // P: pause the display and resume it.
      const pause = page.getByTestId('toggle-pause')
      await page.keyboard.press('Shift+P')
      await expect(pause).toHaveAttribute('aria-pressed', 'true')
      await expect(status).toContainText('paused')
      await page.keyboard.press('Shift+P')
      await expect(pause).toHaveAttribute('aria-pressed', 'false')

      // `/` focuses the row filter; what is typed there stays text (no page switch, no sort).
      await page.getByTestId('sort-ab40').blur()
      await page.keyboard.press('/')
      await expect(page.getByTestId('conversation-filter')).toBeFocused()
      await page.keyboard.type('g2')
      await expect(page.getByTestId('conversation-filter')).toHaveValue('g2')
      await expect(page).toHaveURL(/#connections$/)
      await expect(header('ab40')).toHaveAttribute('aria-sort', 'ascending')
      await page.getByTestId('conversation-filter').fill('')
      await page.getByTestId('conversation-filter').blur()

      // The help, opened here, lists every Connections key as available.
      await page.keyboard.press('?')
      let seen = 0
      for (const row of await dialog.locator('[data-testid=help-key]').all()) {
        const key = (await row.locator('th').textContent())!.trim()
        if (!KEYS.connections.includes(key)) continue
        seen++
        await expect(row).not.toContainText('not available')
      }
      expect(seen).toBe(KEYS.connections.length)
      await page.keyboard.press('Escape')
      await expect(dialog).toBeHidden()

      // A key right after the help closes acts, even before the dialog's close event has run
      // (the browser queues that event; a busy page runs it late).
      await page.keyboard.press('?')
      await expect(dialog).toBeVisible()
      await page.evaluate(() => {
        document.querySelector('dialog')!.close()
        window.dispatchEvent(new KeyboardEvent('keydown', { key: 'p' }))
      })
      await expect(ports).toHaveAttribute('aria-pressed', 'false')
      await page.keyboard.press('p')
      await expect(ports).toHaveAttribute('aria-pressed', 'true')

      // `n`: names on or off (on by default) in the capture, a setting every window shares.
      const names = page.getByTestId('toggle-names')
      await expect(names).toHaveAttribute('aria-pressed', 'true')
      await page.keyboard.press('n')
      await expect(names).toHaveAttribute('aria-pressed', 'false')
      await page.keyboard.press('g')
      await page.keyboard.press('s')
      await expect(page.getByTestId('resolve-names')).not.toBeChecked()
      await page.keyboard.press('g')
      await page.keyboard.press('c')
      await page.keyboard.press('n')
      await expect(names).toHaveAttribute('aria-pressed', 'true')
      await page.keyboard.press('g')
      await page.keyboard.press('s')
      await expect(page.getByTestId('resolve-names')).toBeChecked()
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      const exited = new Promise((r) => serve.once('exit', r))
      serve.kill('SIGINT')
      await exited
    }
  })
})
