import dgram from 'node:dgram'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { ProbeResult } from '../../../common/probes'
import { statsToCsvRows, statsToJson } from '../../../electron/engine/probes/format'
import { explainOpenError } from '../../../electron/workers/probe/icmp-addon'
import { ProbeRunner } from '../../../electron/workers/probe/runner'
import { computeStats } from '../../../electron/shared/probes/stats'

const ok = (
  seq: number,
  rtt: number,
  kind: ProbeResult['kind'] = 'udp',
  phases_ms?: Record<string, number>,
): ProbeResult => ({
  target: 't',
  kind,
  seq,
  sent_at: '2026-01-01T00:00:00.000Z',
  rtt_ms: rtt,
  status: 'ok',
  ...(phases_ms ? { phases_ms } : {}),
})

describe('output formats', () => {
  it('json has exactly the documented keys, phases only for http/https/dns', () => {
    const udp = statsToJson(computeStats('udp://h:7', 'udp', [ok(0, 1.23456), ok(1, 2)]))
    expect(Object.keys(udp)).toEqual([
      'target',
      'kind',
      'sent',
      'received',
      'loss_pct',
      'rtt_ms',
      'jitter_ms',
    ])
    expect(Object.keys(udp.rtt_ms as object)).toEqual([
      'min',
      'avg',
      'max',
      'stddev',
      'p50',
      'p95',
      'p99',
    ])
    expect(Object.keys(udp.jitter_ms as object)).toEqual(['mean', 'max', 'rfc3550'])
    expect((udp.rtt_ms as { min: number }).min).toBe(1.235)
    const dns = statsToJson(computeStats('dns://s/n', 'dns', [ok(0, 30, 'dns', { query: 30 })]))
    expect(dns.phases_ms).toEqual({ query: 30 })
  })

  it('csv flattens the same fields under one header', () => {
    const { header, rows } = statsToCsvRows([
      computeStats('http://h/', 'http', [
        ok(0, 51, 'http', { dns: 0, connect: 1, ttfb: 50, total: 51 }),
      ]),
      computeStats('icmp://h', 'icmp', []),
    ])
    expect(header.slice(0, 6)).toEqual([
      'target',
      'kind',
      'sent',
      'received',
      'loss_pct',
      'rtt_min_ms',
    ])
    expect(header).toContain('jitter_rfc3550_ms')
    expect(header.slice(-4)).toEqual([
      'phase_dns_ms',
      'phase_connect_ms',
      'phase_ttfb_ms',
      'phase_total_ms',
    ])
    expect(rows[1]![5]).toBe('') // no RTT: empty cell, not 0
    expect(rows.every((r) => r.length === header.length)).toBe(true)
  })
})

describe('ICMP rights error', () => {
  it('tells the operator how to enable ping sockets, never capabilities on node', () => {
    const e = explainOpenError(Object.assign(new Error('Permission denied'), { code: 'EACCES' }))
    expect(e.code).toBe('PERMISSION_DENIED')
    expect(e.message).toMatch(/net\.ipv4\.ping_group_range is "\d+ \d+"/)
    expect(e.message).toContain('sysctl -w net.ipv4.ping_group_range="')
    expect(e.message).not.toContain('setcap')
  })
})

describe('ProbeRunner', () => {
  it('collects results until taken (once per tick) and finishes; bad targets are fatal BAD_REQUEST', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(m, r.port, r.address))
    echo.bind(0, '127.0.0.1')
    await once(echo, 'listening')
    const runner = new ProbeRunner({ seqBase: 10 })
    const target = `udp://127.0.0.1:${echo.address().port}`
    const events: string[] = []
    const taken: ProbeResult[] = []
    const ticker = setInterval(() => taken.push(...runner.take().results), 15)
    const done = await runner.run([{ target, interval_ms: 10, timeout_ms: 500, count: 5 }], {
      started: () => events.push('started'),
      fatal: (t, code) => events.push(`fatal ${code}`),
    })
    clearInterval(ticker)
    const last = runner.take(true)
    taken.push(...last.results)
    echo.close()
    expect(done).toBe(true)
    expect(events).toEqual(['started'])
    for (const r of taken) ProbeResult.parse(r)
    expect(taken.map((r) => r.seq).sort()).toEqual([10, 11, 12, 13, 14])
    expect(taken.every((r) => r.status === 'ok' && r.target === target && r.kind === 'udp')).toBe(
      true,
    )
    expect(last.counters).toEqual({ [target]: { late: 0, duplicates: 0 } })
    expect(last.results_dropped).toBe(0)

    const bad: string[] = []
    const ok = await new ProbeRunner().run(
      [{ target: 'tcp://nope', interval_ms: 10, timeout_ms: 10, count: 1 }],
      { started: () => bad.push('started'), fatal: (t, code) => bad.push(`${t} ${code}`) },
    )
    expect(ok).toBe(false)
    expect(bad).toEqual(['tcp://nope BAD_REQUEST'])
  })

  it('keeps at most maxPending results while nobody takes them, and counts the rest', async () => {
    const echo = dgram.createSocket('udp4')
    echo.on('message', (m, r) => echo.send(m, r.port, r.address))
    echo.bind(0, '127.0.0.1')
    await once(echo, 'listening')
    const runner = new ProbeRunner({ maxPending: 3 })
    const target = `udp://127.0.0.1:${echo.address().port}`
    await runner.run([{ target, interval_ms: 5, timeout_ms: 500, count: 8 }], {
      started: () => {},
      fatal: () => {},
    })
    echo.close()
    const batch = runner.take(true)
    expect(batch.results.map((r) => r.seq).sort()).toEqual([5, 6, 7])
    expect(batch.results_dropped).toBe(5)
  })
})
