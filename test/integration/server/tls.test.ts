/**
 * Serve mode over TLS (HTTPS + WSS) with a throwaway self-signed certificate, and the CLI's rule:
 * off loopback, `serve` needs --tls-cert/--tls-key or an explicit --insecure.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WireMessage } from '../../../common/contract'
import { run } from '../../../electron/cli/main'
import { Monitor } from '../../../electron/engine/monitor'
import { startServer, type RunningServer } from '../../../electron/server/server'
import { FakeSysNet } from '../../unit/fakes'

const dir = mkdtempSync(join(tmpdir(), 'fse-tls-'))
const certFile = join(dir, 'cert.pem')
const keyFile = join(dir, 'key.pem')
let server: RunningServer

beforeAll(async () => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' }) // prettier-ignore
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>tls</title>')
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  server = await startServer({
    monitor: new Monitor({ sysnet }),
    staticDir: dir,
    port: 0,
    tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  })
})
afterAll(() => server?.close())

const ca = () => readFileSync(certFile)

describe('serve over TLS', () => {
  it('prints an https URL and serves the page over HTTPS to a client that trusts the cert', async () => {
    expect(server.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${server.port}/\\?token=`))
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port: server.port, path: '/', ca: ca() }, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }).on('error', reject)
    })
    expect(r.status).toBe(200)
    expect(r.body).toContain('<title>tls</title>')
  })

  it('answers the API over WSS with an https Origin only', async () => {
    const url = `wss://127.0.0.1:${server.port}/api/ws?token=${server.token}`
    const open = (origin: string) =>
      new Promise<WebSocket | number>((resolve) => {
        const ws = new WebSocket(url, { ca: ca(), headers: { origin } })
        ws.on('open', () => resolve(ws))
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
        ws.on('error', () => resolve(0))
      })
    expect(await open(`http://127.0.0.1:${server.port}`)).toBe(403)
    const ws = await open(`https://127.0.0.1:${server.port}`)
    expect(ws).toBeInstanceOf(WebSocket)
    const sock = ws as WebSocket
    const reply = new Promise<WireMessage>((resolve) =>
      sock.on('message', (d) => {
        const m = WireMessage.parse(JSON.parse(String(d)))
        if (m.kind === 'response') resolve(m)
      }),
    )
    sock.send(JSON.stringify({ id: 3, method: 'app.info', params: {} }))
    expect(await reply).toMatchObject({ id: 3, result: { ok: true } })
    sock.close()
  })

  it('speaks no plain HTTP on the TLS port, and refuses an untrusted client handshake', async () => {
    const plain = await new Promise<string>((resolve) => {
      httpGet({ host: '127.0.0.1', port: server.port, path: '/' }, (res) =>
        resolve(`status ${res.statusCode}`),
      ).on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`))
    })
    expect(plain).not.toMatch(/status 200/)
    const untrusted = await new Promise<string>((resolve) => {
      httpsGet({ host: '127.0.0.1', port: server.port, path: '/' }, () => resolve('ok')).on(
        'error',
        (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message),
      )
    })
    expect(untrusted).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })
})

async function cli(...argv: string[]) {
  const err = new PassThrough()
  let stderr = ''
  err.on('data', (d) => (stderr += d))
  const code = await run(argv, {
    stdout: new PassThrough(),
    stderr: err,
    env: {},
    signal: AbortSignal.abort(),
  })
  return { code, stderr }
}

describe('flowscope serve off loopback', () => {
  it('refuses plain HTTP off loopback with one line and exit 2', async () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'myhost']) {
      const r = await cli('serve', '--host', host, '--port', '0')
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(
        new RegExp(
          `^flowscope: serve: ${host.replace(/\./g, '\\.')} is not loopback: give --tls-cert FILE and --tls-key FILE, or --insecure[^\\n]*\\n$`,
        ),
      )
    }
  })

  it('checks the TLS files: both given, readable, a usable pair', async () => {
    const other = join(dir, 'other-key.pem')
    execFileSync('openssl', ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', other], { stdio: 'ignore' }) // prettier-ignore
    const cases: [string[], RegExp][] = [
      [['--tls-cert', certFile], /--tls-cert and --tls-key go together/],
      [['--tls-key', keyFile], /--tls-cert and --tls-key go together/],
      [
        ['--tls-cert', join(dir, 'nope.pem'), '--tls-key', keyFile],
        /cannot read the TLS certificate/,
      ],
      [['--tls-cert', certFile, '--tls-key', other], /not usable/],
      [['--tls-cert', keyFile, '--tls-key', certFile], /not usable/],
    ]
    for (const [args, why] of cases) {
      const r = await cli('serve', '--host', '0.0.0.0', '--port', '0', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(why)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  })

  it('gets past the gate with TLS or --insecure (then stops at the unbuilt UI of the source tree)', async () => {
    for (const args of [['--tls-cert', certFile, '--tls-key', keyFile], ['--insecure']]) {
      const r = await cli('serve', '--host', '0.0.0.0', '--port', '0', ...args)
      expect(r.stderr).not.toMatch(/not loopback/)
      expect(r.stderr).toMatch(/the UI is not built/)
    }
    // On loopback neither is needed.
    expect((await cli('serve', '--port', '0')).stderr).toMatch(/the UI is not built/)
  })
})
