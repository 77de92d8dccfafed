/**
 * The probes form and failure reasons in a real browser against serve mode: targets added with
 * Enter and with the Add button at an interval the old form refused (250 ms), a closed TCP port
 * shown as refused (as bash's /dev/tcp sees it), a silent DNS server as timeout, an open port
 * with no failure; the list is kept across a reload, and the store's history draws the smoke.
 * What is typed before the kept list reaches the page stays, and joins the list.
 */
import { spawnSync } from 'node:child_process'
import { expect, test, type WebSocketRoute } from '@playwright/test'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('python3', 'bash')
if (missing.length > 0) console.log(`SKIP serve-probes-form e2e: needs ${missing.join(', ')}`)

test.describe('serve mode: probe form and failure reasons', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fhp', '10.162.0', 'fd62')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('adds targets with Enter and Add, shows why probes fail, keeps the list', async () => {
    // An open TCP port, and a UDP port that swallows everything (a silent DNS server).
    net.spawn(net.b, ['python3', '-m', 'http.server', '8089', '--bind', net.addrB])
    const sink = net.spawn(net.b, [
      'python3',
      '-c',
      `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('${net.addrB}',5399))\nprint('ready',flush=True)\nwhile True: s.recv(4096)`,
    ])
    await new Promise<void>((resolve) =>
      sink.stdout!.on('data', (d) => String(d).includes('ready') && resolve()),
    )
    // What a tool nobody here wrote says about the closed port.
    const bash = spawnSync(
      'ip',
      ['netns', 'exec', net.a, 'bash', '-c', `echo > /dev/tcp/${net.addrB}/9`],
      { encoding: 'utf8' },
    )
    expect(bash.stderr).toContain('Connection refused')

    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fhp'))
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    const closed = `tcp://${net.addrB}:9`
    const open = `tcp://${net.addrB}:8089`
    const silent = `dns://${net.addrB}:5399/example.org`
    try {
      await page.getByTestId('nav-probes').click()
      const input = page.getByLabel('Target', { exact: true })
      await page.getByTestId('probe-interval').fill('250')
      await input.fill(closed)
      await input.press('Enter')
      await input.fill(open)
      await page.getByTestId('probe-add').click()
      await input.fill(silent)
      await input.press('Enter')
      const chips = page.locator('[data-testid=probe-targets] li')
      await expect(chips).toHaveCount(3)
      await expect(input).toHaveValue('')

      await page.getByTestId('probe-toggle').click()
      await expect(page.getByTestId('probe-toggle')).toHaveText('Stop')
      const failure = (t: string) =>
        page.locator(
          `[data-testid=probe-stats] tr[data-target="${t}"] [data-testid=probe-last-error]`,
        )
      await expect(failure(closed)).toHaveAttribute('data-kind', 'refused', { timeout: 10_000 })
      await expect(failure(closed)).toContainText('ECONNREFUSED')
      await expect(failure(silent)).toHaveAttribute('data-kind', 'timeout', { timeout: 10_000 })
      const recv = page.locator(`[data-testid=probe-stats] tr[data-target="${open}"] td`).nth(2)
      await expect
        .poll(async () => Number(await recv.textContent()), { timeout: 10_000 })
        .toBeGreaterThan(5)
      await expect(failure(open)).toHaveAttribute('data-kind', '')
      // The live smoke: one chart per target.
      await expect(page.locator('figure.smoke')).toHaveCount(3)
      await page.waitForTimeout(3000)
      await page.getByTestId('probe-toggle').click()
      await expect(page.getByTestId('probe-toggle')).toHaveText('Start probing')

      // Recorded: the store's smoke for the last hour (the writer commits every 2 s).
      await page.waitForTimeout(3000)
      await page.getByTestId('probe-history-load').click()
      await expect(
        page.locator(`[data-testid=probe-history] figure[data-target="${open}"]`),
      ).toBeVisible()

      // Kept by the engine: a fresh page gets the same list and interval back.
      await page.screenshot({ path: 'test/e2e/artifacts/probes-form.png', fullPage: true })
      const fresh = await browser.newPage()
      fresh.on('pageerror', (e) => problems.push(e.message))
      await fresh.goto(url)
      await fresh.getByTestId('nav-probes').click()
      await expect(fresh.locator('[data-testid=probe-targets] li')).toHaveCount(3)
      await expect(fresh.getByTestId('probe-interval')).toHaveValue('250')
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
  test('what is typed before the kept list arrives stays, and joins the list', async () => {
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fhq'))
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    const kept = `tcp://${net.addrB}:8089`
    const typed = `icmp://${net.addrB}`
    try {
      // Between page and engine: store a list first, then hold the answer to the page's
      // probes.targets.get until the operator has typed.
      const gate: { release?: () => void; held?: () => void } = {}
      const held = new Promise<void>((resolve) => (gate.held = resolve))
      await page.routeWebSocket(/\/api\/ws/, (ws: WebSocketRoute) => {
        const server = ws.connectToServer()
        const setId = 1_000_000
        server.send(
          JSON.stringify({
            id: setId,
            method: 'probes.targets.set',
            params: { targets: [kept], interval_ms: 500 },
          }),
        )
        let getId = -1
        ws.onMessage((m) => {
          const msg = JSON.parse(String(m)) as { id: number; method: string }
          if (msg.method === 'probes.targets.get' && getId < 0) getId = msg.id
          server.send(m)
        })
        server.onMessage((m) => {
          const msg = JSON.parse(String(m)) as { kind: string; id?: number }
          if (msg.kind === 'response' && msg.id === setId) return
          if (msg.kind === 'response' && msg.id === getId && !gate.release) {
            gate.release = () => ws.send(m)
            gate.held!()
          } else ws.send(m)
        })
      })
      await page.reload()
      await page.getByTestId('nav-probes').click()
      await held
      await page.getByTestId('probe-interval').fill('250')
      const input = page.getByLabel('Target', { exact: true })
      await input.fill(typed)
      await input.press('Enter')
      const chips = page.locator('[data-testid=probe-targets] li')
      await expect(chips).toHaveCount(1)
      gate.release!()
      await expect(chips).toHaveText([kept, typed].map((t) => new RegExp(t)))
      await expect(page.getByTestId('probe-interval')).toHaveValue('250')

      // And the engine keeps the merged list: a fresh page, not routed, gets it back.
      const fresh = await browser.newPage()
      fresh.on('pageerror', (e) => problems.push(e.message))
      await fresh.goto(url)
      await fresh.getByTestId('nav-probes').click()
      await expect(fresh.locator('[data-testid=probe-targets] li')).toHaveText(
        [kept, typed].map((t) => new RegExp(t)),
      )
      await expect(fresh.getByTestId('probe-interval')).toHaveValue('250')
      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
