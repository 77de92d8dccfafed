/**
 * The Connections page over the whole flow table, in a real browser against `flowscope serve`
 * in a private namespace: 1,500 UDP conversations (more than the 1,000 the engine used to send),
 * a filter that finds the quietest one, the BPF filter changed while running, aggregation
 * (destination, source, host, and process as nethogs shows it), pause, the detail panel, and a
 * pcap written by tcpdump uploaded into the same table, its conversations counted by tshark.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { Netns } from '../support/netns'
import { missingForE2e, openPage, startServe, tempDb } from '../support/serve'

const missing = missingForE2e('tcpdump', 'tshark')
if (missing.length > 0) console.log(`SKIP serve-connections-view e2e: needs ${missing.join(', ')}`)

const PORTS = 1500
const NEEDLE = 29_999

/** One UDP socket (port 40000) sending 64 bytes to PORTS ports each second, and the needle every 4 s. */
const SENDER = `
const dgram = require('node:dgram')
const [dst] = process.argv.slice(2)
const s = dgram.createSocket('udp4')
const payload = Buffer.alloc(64, 1)
s.bind(40000, () => {
  const burst = () => { for (let i = 0; i < ${PORTS}; i++) s.send(payload, 20000 + i, dst) }
  const needle = () => s.send(payload, ${NEEDLE}, dst)
  burst(); needle()
  setInterval(burst, 1000)
  setInterval(needle, 4000)
})
`

/** "rows 1–60 of 1,501 · …": the N of "of N". */
async function matched(page: Page): Promise<number> {
  const text = (await page.getByTestId('view-status').textContent()) ?? ''
  const m = /of ([\d,]+)/.exec(text)
  return m ? Number(m[1]!.replace(/,/g, '')) : -1
}

test.describe('serve mode: the connections view covers every conversation', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`)
  test.setTimeout(180_000)

  let net: Netns
  test.beforeAll(() => {
    net = new Netns('fcv', '10.147.0', 'fd47')
    net.create()
  })
  test.afterAll(() => net?.destroy())

  test('filter, BPF change, aggregation, pause, detail and file upload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fcv-'))
    const script = join(dir, 'sender.cjs')
    writeFileSync(script, SENDER)
    const { url, serve } = await startServe(net, net.a, '--db', tempDb('fcv'))
    const { browser, page, problems } = await openPage(
      net,
      net.a,
      url,
      test.info().project.use.launchOptions?.args,
    )
    try {
      await page.getByTestId('nav-connections').click()
      await expect(page.getByTestId('capture-empty')).toBeVisible()
      await page.getByTestId('capture-iface').selectOption(net.vethA)
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Stop')

      const sender = net.spawn(net.a, [process.execPath, script, net.addrB])
      // Nothing listens on B: its ICMP port unreachables are conversations too, for now.
      await page.getByTestId('conversation-filter').fill('icmp')
      const rows = page.getByTestId('conversation')
      await expect(rows.first()).toContainText('icmp', { timeout: 10_000 })

      // The BPF filter changed while running: the capture restarts with it, the view stays.
      await page.getByTestId('capture-bpf').fill('udp')
      await page.getByTestId('capture-apply-bpf').click()
      await expect(page.getByTestId('capture-apply-bpf')).toBeHidden()
      await expect(page.getByTestId('conversation-filter')).toHaveValue('icmp')
      await expect(page.getByTestId('conversation-none')).toBeVisible({ timeout: 10_000 })
      await page.getByTestId('conversation-filter').fill('')

      // Every conversation is in the table, not just the busiest 1,000.
      await expect.poll(() => matched(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(PORTS)
      await expect(page.getByTestId('view-status')).toContainText('conversations in the table')

      // The needle (one datagram per 4 s) sorts last by 10 s rate: far outside a top 1,000.
      await page.getByTestId('sort-ab10').click()
      await expect(page.locator('[role=columnheader][aria-sort=descending]')).toHaveText(/10s/)
      const scroller = page.getByTestId('conversation-scroller')
      const needle = page.locator(`[data-testid=conversation]:has-text(":${NEEDLE}")`)
      // To the bottom (again while the table still grows): the engine sends that window.
      await expect
        .poll(
          async () => {
            await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight))
            return needle.count()
          },
          { timeout: 15_000 },
        )
        .toBe(1)
      const index = Number(await needle.getAttribute('aria-rowindex'))
      console.log(`needle at table row ${index - 1} of ${await matched(page)}`)
      expect(index - 1).toBeGreaterThan(1000)

      // A filter finds it wherever it is.
      await scroller.evaluate((el) => (el.scrollTop = 0))
      await page.getByTestId('conversation-filter').fill(`${net.addrB}:${NEEDLE}`)
      await expect(rows).toHaveCount(1)
      await expect(rows.first()).toContainText(`:${NEEDLE}`)
      expect(await matched(page)).toBe(1)
      await page.getByTestId('conversation-filter').fill('')

      // Aggregation: one destination host; one source endpoint; two hosts; ports on and off.
      const group = page.getByTestId('conversation-group')
      await page.getByTestId('toggle-ports').click()
      await expect(page.getByTestId('toggle-ports')).toHaveAttribute('aria-pressed', 'false')
      await group.selectOption('destination')
      await expect(rows).toHaveCount(1)
      await expect(rows.first()).toContainText(net.addrB)
      const flowsCell = rows.first().locator('[data-col=flows]')
      expect(Number((await flowsCell.textContent())!.replace(/,/g, ''))).toBeGreaterThanOrEqual(
        PORTS,
      )
      await group.selectOption('host')
      await expect(rows).toHaveCount(2)
      await page.getByTestId('toggle-ports').click()
      await group.selectOption('source')
      await expect(rows).toHaveCount(1)
      await expect(rows.first()).toContainText(`${net.addrA}:40000`)

      // nethogs: by process, the sender's program and pid (attributed from this namespace's /proc).
      await group.selectOption('process')
      const proc = page.locator(`[data-testid=conversation]:has-text("(${sender.pid})")`)
      await expect(proc).toBeVisible({ timeout: 10_000 })
      await expect(proc).toContainText('node')

      // Pause: the order stays while values update; resume lets it move again.
      await group.selectOption('conversation')
      await page.getByTestId('sort-ab2').click()
      await expect.poll(() => matched(page)).toBeGreaterThanOrEqual(PORTS)
      await page.getByTestId('toggle-pause').click()
      await expect(page.getByTestId('toggle-pause')).toHaveAttribute('aria-pressed', 'true')
      const keys = async () =>
        (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))).slice(0, 20)
      await page.waitForTimeout(500)
      const frozen = await keys()
      expect(frozen.length).toBe(20)
      await page.waitForTimeout(3500)
      expect(await keys()).toEqual(frozen)
      await expect(page.getByTestId('view-status')).toContainText('paused')
      await page.getByTestId('toggle-pause').click()
      await expect(page.getByTestId('toggle-pause')).toHaveAttribute('aria-pressed', 'false')

      // Detail panel: rate history both ways, first/last seen, retransmissions, RTT.
      await rows.first().click()
      const detail = page.getByTestId('conversation-detail')
      await expect(detail).toBeVisible()
      await expect(detail.getByTestId('detail-first')).toContainText(/\d{4}-\d\d-\d\d/)
      await expect(detail.getByTestId('detail-retx')).toHaveText('0')
      await expect(detail.getByTestId('detail-rtt')).toHaveText('not seen')
      await expect
        .poll(() => detail.locator('tbody tr').count(), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(3)
      // The page with its table and detail panel: no serious or critical accessibility problem.
      // (axe-core itself: openPage's page has no context of its own for @axe-core/playwright;
      // evaluated through the protocol, so the page's CSP does not apply to it.)
      await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'))
      const { passes, violations } = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (c: unknown) => Promise<AxeResult> } }).axe
        type AxeResult = {
          passes: unknown[]
          violations: { id: string; impact: string; nodes: { target: string[] }[] }[]
        }
        const r = await axe.run({ include: [['main']] })
        return {
          passes: r.passes.length,
          violations: r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            at: v.nodes[0]?.target.join(' '),
          })),
        }
      })
      console.log(`axe: ${passes} rules pass, ${violations.length} violations in <main>`)
      expect(passes).toBeGreaterThan(10)
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      for (const v of bad) console.log(`axe ${v.impact} ${v.id}: ${v.at}`)
      expect(bad.map((v) => v.id)).toEqual([])
      await detail.getByTestId('detail-close').click()
      await expect(detail).toBeHidden()

      // A pcap written by tcpdump, uploaded: its conversations in the same table, as tshark counts.
      const pcap = join(dir, 'udp.pcap')
      execFileSync(
        'ip',
        ['netns', 'exec', net.a, 'tcpdump', '-i', net.vethA, '-c', '3100', '-w', pcap, 'udp'],
        { stdio: 'ignore', timeout: 20_000 },
      )
      const conv = execFileSync('tshark', ['-r', pcap, '-q', '-z', 'conv,udp'], {
        encoding: 'utf8',
      })
      const tsharkConvs = conv.split('\n').filter((l) => /<->/.test(l)).length
      console.log(`tshark: ${tsharkConvs} UDP conversations in the upload`)
      await page.getByTestId('capture-toggle').click()
      await expect(page.getByTestId('capture-toggle')).toHaveText('Start capture')
      await page.getByTestId('capture-file').setInputFiles(pcap)
      await expect(page.getByTestId('capture-summary')).toContainText('file udp.pcap')
      await expect(page.getByTestId('capture-summary')).toContainText('read to the end')
      await expect.poll(() => matched(page)).toBe(tsharkConvs)
      await expect(page.getByTestId('capture-summary')).toContainText('3,100 packets')

      expect(problems).toEqual([])
    } finally {
      await browser.close()
      serve.kill('SIGTERM')
    }
  })
})
