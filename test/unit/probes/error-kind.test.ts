import net from 'node:net'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { ProbeResult, probeErrorKind } from '../../../common/probes'
import { ProbeRunner } from '../../../electron/workers/probe/runner'

describe('probeErrorKind', () => {
  it('names the failure from the status and the raw code', () => {
    expect(probeErrorKind('ok')).toBeNull()
    expect(probeErrorKind('timeout')).toBe('timeout')
    expect(probeErrorKind('error', 'ECONNREFUSED')).toBe('refused')
    expect(probeErrorKind('error', 'EHOSTUNREACH')).toBe('unreachable')
    expect(probeErrorKind('error', 'ENOTFOUND')).toBe('nxdomain')
    expect(probeErrorKind('error', 'EAI_AGAIN')).toBe('nxdomain')
    expect(probeErrorKind('error', 'ECONNRESET')).toBe('reset')
    expect(probeErrorKind('error', 'DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('tls')
    expect(probeErrorKind('error', 'ERR_TLS_CERT_ALTNAME_INVALID')).toBe('tls')
    expect(probeErrorKind('error', 'EPERM')).toBe('permission')
    expect(probeErrorKind('error', 'something new')).toBe('other')
    expect(probeErrorKind('error')).toBe('other')
  })
})

async function run(target: string, timeout_ms = 300): Promise<ProbeResult[]> {
  const runner = new ProbeRunner()
  await runner.run([{ target, interval_ms: 20, timeout_ms, count: 2 }], {
    started: () => {},
    fatal: () => {},
  })
  return runner.take(true).results.map((r) => ProbeResult.parse(r))
}

describe('ProbeRunner error kinds', () => {
  it('a closed TCP port is refused; a silent UDP DNS server times out; an answer has none', async () => {
    // A port that was just free: connecting to it is refused by the kernel (RST).
    const server = net.createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as net.AddressInfo).port
    server.close()
    await once(server, 'close')
    const refused = await run(`tcp://127.0.0.1:${port}`)
    expect(refused.map((r) => [r.status, r.error, r.error_kind])).toEqual([
      ['error', 'ECONNREFUSED', 'refused'],
      ['error', 'ECONNREFUSED', 'refused'],
    ])

    const silent = dgram.createSocket('udp4')
    silent.bind(0, '127.0.0.1')
    await once(silent, 'listening')
    const timedOut = await run(`dns://127.0.0.1:${silent.address().port}/example.org`, 150)
    silent.close()
    expect(timedOut.map((r) => [r.status, r.error_kind])).toEqual([
      ['timeout', 'timeout'],
      ['timeout', 'timeout'],
    ])

    const open = net.createServer((s) => s.end()).listen(0, '127.0.0.1')
    await once(open, 'listening')
    const ok = await run(`tcp://127.0.0.1:${(open.address() as net.AddressInfo).port}`)
    open.close()
    expect(ok.every((r) => r.status === 'ok' && r.error_kind === undefined)).toBe(true)
  })
})
