/**
 * Webhook delivery against a local receiver that is up, down and slow: Alertmanager's body,
 * retries with backoff, timeouts, the rate limit and the bounded queue. No timed assertions:
 * the checks are on what the receiver got and what the sender counted.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Webhook, type AlertNotice } from '../../../common/alerts'
import { alertmanagerBody, fingerprint } from '../../../electron/engine/alerts/alertmanager'
import { WebhookSender } from '../../../electron/engine/alerts/webhook'
import { harness, iface } from './helpers'

interface Received {
  headers: IncomingMessage['headers']
  body: unknown
}

const servers: Server[] = []
afterEach(() =>
  servers.splice(0).forEach((s) => {
    s.closeAllConnections()
    s.close()
  }),
)

/** A receiver whose n-th request (0-based) is answered by `respond` (status, or a delay first). */
async function receiver(respond: (n: number) => { status: number; delayMs?: number }) {
  const got: Received[] = []
  let aborted = 0
  let n = 0
  const server = createServer((req, res) => {
    const plan = respond(n++)
    let data = ''
    req.on('data', (d) => (data += d))
    req.on('end', () => {
      const answer = () => {
        if (res.destroyed) return
        got.push({ headers: req.headers, body: JSON.parse(data) })
        res.writeHead(plan.status).end()
      }
      if (plan.delayMs) {
        const t = setTimeout(answer, plan.delayMs)
        res.on('close', () => {
          if (!res.writableFinished) {
            aborted++
            clearTimeout(t)
          }
        })
      } else answer()
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`
  return { url, got, requests: () => n, aborted: () => aborted }
}

const notice: AlertNotice = {
  status: 'firing',
  rule: 'uplink busy',
  severity: 'warning',
  labels: { alertname: 'uplink busy', device: 'eth0', severity: 'warning' },
  annotations: { summary: 'busy' },
  value: 1,
  startsAt: '2026-11-30T10:00:07.000Z',
  endsAt: null,
}

describe('webhooks', () => {
  it('POSTs the body Alertmanager sends (version 4) to a receiver that is up', async () => {
    const r = await receiver(() => ({ status: 200 }))
    const h = harness(
      [
        {
          name: 'uplink busy',
          metric: 'interface_receive_bytes_per_second',
          above: 100,
          for: '1s',
        },
      ],
      { webhook: { backoffMs: 1 } },
    )
    h.engine.setRules({
      ...h.engine.rules(),
      webhooks: [Webhook.parse({ url: r.url, bearer_token: 's3cret' })],
    })
    ;[500, 500, 0].forEach((v, i) => h.tick(i, [iface('eth0', v)]))
    await h.engine.flush()
    expect(r.got).toHaveLength(2)
    const [firing, resolved] = r.got.map((g) => g.body) as ReturnType<typeof alertmanagerBody>[]
    expect(r.got[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer s3cret',
    })
    expect(firing).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'flowscope',
      groupKey: '{}:{alertname="uplink busy"}',
      groupLabels: { alertname: 'uplink busy' },
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'uplink busy', device: 'eth0', instance: 'test-host' },
          startsAt: '2026-11-30T10:00:01.000Z',
          endsAt: '0001-01-01T00:00:00Z',
        },
      ],
    })
    expect(firing!.alerts[0]!.annotations.summary).toMatch(/^uplink busy: /)
    expect(resolved).toMatchObject({
      status: 'resolved',
      alerts: [
        {
          status: 'resolved',
          startsAt: '2026-11-30T10:00:01.000Z',
          endsAt: '2026-11-30T10:00:02.000Z',
        },
      ],
    })
    expect(firing!.alerts[0]!.fingerprint).toBe(resolved!.alerts[0]!.fingerprint)
    expect(h.engine.webhookStats()[0]).toMatchObject({ delivered: 2, failed: 0, attempts: 2 })
    await h.engine.close()
  })

  it("computes Prometheus's label fingerprint (FNV-1a 64)", () => {
    // FNV-1a 64 of the empty input is the offset basis; Prometheus's model.LabelsToSignature agrees.
    expect(fingerprint({})).toBe('cbf29ce484222325')
    expect(fingerprint({ a: 'b' })).toBe(fingerprint({ a: 'b' }))
    expect(fingerprint({ a: 'b', c: 'd' })).toBe(fingerprint({ c: 'd', a: 'b' }))
    expect(fingerprint({ a: 'bc' })).not.toBe(fingerprint({ ab: 'c' }))
  })

  it('retries with backoff while the receiver answers 503, then delivers', async () => {
    const r = await receiver((n) => ({ status: n < 2 ? 503 : 200 }))
    const s = new WebhookSender(Webhook.parse({ url: r.url, retries: 3 }), { backoffMs: 5 })
    s.send(alertmanagerBody(notice))
    await s.idle()
    expect(r.requests()).toBe(3)
    expect(s.stats).toMatchObject({ delivered: 1, failed: 0, attempts: 3 })
  })

  it('gives up on a receiver that is down after every retry, and goes on with the next', async () => {
    const r = await receiver(() => ({ status: 200 }))
    const down = r.url
    await new Promise<void>((res) => servers.pop()!.close(() => res()))
    const s = new WebhookSender(Webhook.parse({ url: down, retries: 2 }), { backoffMs: 5 })
    s.send(alertmanagerBody(notice))
    s.send(alertmanagerBody({ ...notice, status: 'resolved' }))
    await s.idle()
    expect(s.stats).toMatchObject({ delivered: 0, failed: 2, attempts: 6, queued: 0 })
    expect(s.stats.last_error).toBe('ECONNREFUSED')
  })

  it('a 4xx other than 408/429 is not retried', async () => {
    const r = await receiver(() => ({ status: 400 }))
    const s = new WebhookSender(Webhook.parse({ url: r.url, retries: 3 }), { backoffMs: 5 })
    s.send(alertmanagerBody(notice))
    await s.idle()
    expect(r.requests()).toBe(1)
    expect(s.stats).toMatchObject({ failed: 1, attempts: 1, last_error: 'HTTP 400' })
  })

  it('times out a slow receiver, aborts the request, and retries', async () => {
    // First request: answered after 30 s (far beyond the 100 ms timeout); the retry at once.
    const r = await receiver((n) => ({ status: 200, delayMs: n === 0 ? 30_000 : 0 }))
    const s = new WebhookSender(Webhook.parse({ url: r.url, timeout: '100ms', retries: 1 }), {
      backoffMs: 5,
    })
    s.send(alertmanagerBody(notice))
    await s.idle()
    expect(s.stats).toMatchObject({ delivered: 1, failed: 0, attempts: 2 })
    expect(r.got).toHaveLength(1)
    await expect.poll(() => r.aborted()).toBe(1) // the receiver saw the first request cut off
  })

  it('sends at most max_per_minute; the rest wait in a bounded queue that drops the oldest', async () => {
    const r = await receiver(() => ({ status: 200 }))
    const s = new WebhookSender(Webhook.parse({ url: r.url, max_per_minute: 2 }), {
      maxQueue: 3,
      backoffMs: 5,
    })
    for (let i = 0; i < 6; i++)
      s.send(alertmanagerBody({ ...notice, rule: `r${i}`, labels: { alertname: `r${i}` } }))
    await expect.poll(() => s.stats.delivered).toBe(2)
    // Six queued at once into a queue of 3: r0..r2 dropped; r3, r4 sent; r5 waits for the minute.
    expect(s.stats).toMatchObject({ delivered: 2, dropped: 3, queued: 1 })
    const names = r.got.map((g) => (g.body as { groupLabels: { alertname: string } }).groupLabels)
    expect(names.map((n) => n.alertname)).toEqual(['r3', 'r4'])
    await s.close()
    expect(r.got).toHaveLength(2)
  })
})
