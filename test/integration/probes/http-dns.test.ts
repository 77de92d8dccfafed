/**
 * http:// TTFB and dns:// query time against responders with a known delay (loopback; no root).
 *
 * Tolerances: the responder sleeps exactly D ms (Python, ~0.1 ms timer precision) before the
 * first byte / the answer, so each measured phase is D plus the loopback stack and event-loop
 * overhead: D − 0.2 ≤ mean ≤ D + 5 ms. A loaded machine adds more, to us and to any client: curl
 * runs beside the probe against a responder with the same delay, and an upper bound rises to
 * curl's own figure plus the same margin when curl saw the machine slower.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI, curlPhases, curlUnavailable, Responder, ROOT, type ProbeJson } from './netns'

const reason = existsSync(`${ROOT}/out/main/probe.js`)
  ? curlUnavailable()
  : 'not built: run `npm run build` first'
if (reason) console.warn(`skipping http/dns probe tests: ${reason}`)

let hasOpenssl = true
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' })
} catch {
  hasOpenssl = false
  console.warn(
    'skipping the https:// phase test: openssl (to make a test certificate) is not installed',
  )
}

const probe = (...args: string[]) =>
  JSON.parse(
    execFileSync(process.execPath, [CLI, 'probe', ...args, '--format', 'json'], {
      encoding: 'utf8',
    }),
  ) as ProbeJson[]

describe.skipIf(reason !== null)('http:// and dns:// phases against delayed responders', () => {
  let responder: Responder | null = null
  let gauge: Responder | null = null
  afterEach(() => {
    responder?.kill()
    gauge?.kill()
    responder = gauge = null
  })

  it('measures TTFB ≈ the server delay of 50 ms', async () => {
    responder = new Responder(['http', '--host', '127.0.0.1', '--delay-ms', '50'])
    const port = await responder.ready()
    const peer = curlPhases(`http://127.0.0.1:${port}/peer`, 20, 10)
    const [r] = probe(
      `http://127.0.0.1:${port}/x`,
      '--count',
      '20',
      '--interval',
      '100',
      '--timeout',
      '2000',
    )
    const curl = await peer
    const truth = await responder.stop()
    console.log(
      'http',
      JSON.stringify({ responder: truth, phases_ms: r!.phases_ms, rtt_ms: r!.rtt_ms, curl }),
    )
    expect(r!.received).toBe(20)
    expect(curl.n).toBe(20)
    expect(truth.replied).toBe(40)
    expect(Object.keys(r!.phases_ms!)).toEqual(['dns', 'connect', 'ttfb', 'total'])
    expect(r!.phases_ms!.dns).toBe(0) // an IP literal needs no lookup
    expect(r!.phases_ms!.ttfb).toBeGreaterThanOrEqual(49.8)
    expect(r!.phases_ms!.ttfb).toBeLessThanOrEqual(Math.max(55, curl.ttfb + 5))
    expect(r!.phases_ms!.total).toBeGreaterThanOrEqual(r!.phases_ms!.ttfb!)
    expect(r!.phases_ms!.connect).toBeLessThan(1) // the kernel's loopback handshake: tens of µs
  })

  it('measures DNS query time ≈ the server delay of 30 ms', async () => {
    responder = new Responder(['dns', '--host', '127.0.0.1', '--delay-ms', '30'])
    const port = await responder.ready()
    // No DNS client is installed to be the peer; curl against an http responder with the same
    // delay gauges what the machine adds in these seconds.
    gauge = new Responder(['http', '--host', '127.0.0.1', '--delay-ms', '30'])
    const peer = curlPhases(`http://127.0.0.1:${await gauge.ready()}/peer`, 20, 20)
    const [r] = probe(
      `dns://127.0.0.1:${port}/www.example.test?type=A`,
      '--count',
      '20',
      '--interval',
      '50',
      '--timeout',
      '2000',
    )
    const curl = await peer
    const truth = await responder.stop()
    console.log(
      'dns',
      JSON.stringify({ responder: truth, phases_ms: r!.phases_ms, rtt_ms: r!.rtt_ms, curl }),
    )
    expect(truth.received).toBe(20)
    expect(r!.received).toBe(20)
    expect(r!.loss_pct).toBe(0)
    expect(r!.phases_ms!.query).toBeGreaterThanOrEqual(29.8)
    expect(r!.phases_ms!.query).toBeLessThanOrEqual(Math.max(35, curl.ttfb + 5))
    expect(r!.rtt_ms.avg).toBeCloseTo(r!.phases_ms!.query!, 2)
  })

  it('reports an unanswered DNS server as 100 % loss, exit 0', () => {
    // Port 9 (discard) on loopback: nothing listens, queries go unanswered.
    const [r] = probe(
      'dns://127.0.0.1:9/example.test',
      '--count',
      '3',
      '--interval',
      '20',
      '--timeout',
      '200',
    )
    expect(r!.sent).toBe(3)
    expect(r!.received).toBe(0)
    expect(r!.loss_pct).toBe(100)
    expect(r!.rtt_ms.avg).toBeNull()
  })

  it.skipIf(!hasOpenssl)('measures the TLS handshake and TTFB over https://', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsp-tls-'))
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      )
      const server = https.createServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          setTimeout(() => res.end('ok'), 50)
        },
      )
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const { port } = server.address() as AddressInfo
      const out = await new Promise<string>((resolve, reject) => {
        // The CLI must not block this process: the server lives here.
        const child = spawn(
          process.execPath,
          [
            CLI,
            'probe',
            `https://127.0.0.1:${port}/`,
            '--count',
            '5',
            '--interval',
            '100',
            '--timeout',
            '3000',
            '--format',
            'json',
          ],
          { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } },
        )
        let stdout = ''
        child.stdout.on('data', (d: Buffer) => (stdout += d))
        child.on('close', (code: number) =>
          code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}`)),
        )
      })
      server.close()
      const [r] = JSON.parse(out) as ProbeJson[]
      console.log('https', JSON.stringify(r!.phases_ms))
      expect(r!.received).toBe(5)
      expect(Object.keys(r!.phases_ms!)).toEqual(['dns', 'connect', 'tls', 'ttfb', 'total'])
      expect(r!.phases_ms!.tls).toBeGreaterThan(0)
      expect(r!.phases_ms!.ttfb).toBeGreaterThanOrEqual(49.8)
      expect(r!.phases_ms!.ttfb).toBeLessThanOrEqual(60) // Node's own timer adds ~1 ms
      const { dns, connect, tls, ttfb, total } = r!.phases_ms!
      expect(total!).toBeGreaterThanOrEqual(dns! + connect! + tls! + ttfb! - 0.01)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
