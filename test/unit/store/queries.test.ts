import { afterAll, describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { exportHistory } from '../../../electron/shared/store/export'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { planSegments, queryHistory } from '../../../electron/shared/store/queries'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from './helpers'

const S = 1_790_035_200 // a day boundary (2026-09-22T00:00:00Z)

describe('planSegments', () => {
  const none = [0, 0, 0, 0]
  it('reads the finest tier retention has not pruned for the range', () => {
    const pruned = [S - 3600, S - 86400, S - 100 * 86400, 0]
    const done = [S, S, S]
    expect(planSegments(S - 600, S + 60, 0, pruned, done).tier).toBe(0)
    expect(planSegments(S - 7200, S + 60, 0, pruned, done).tier).toBe(1)
    expect(planSegments(S - 30 * 86400, S, 0, pruned, done).tier).toBe(2)
    expect(planSegments(S - 200 * 86400, S, 0, pruned, done).tier).toBe(3)
    expect(planSegments(S - 600, S + 60, 2, none, done).tier).toBe(2)
  })
  it('reads the bulk at one tier, edges and the part not rolled up yet from finer tiers', () => {
    // 1 h tier has data up to S - 3600, 1 m up to S - 60, 10 s everything; nothing pruned.
    const D = S - 86400
    const plan = planSegments(
      D + 1234,
      S + 100,
      2,
      [0, 0, 0, 0],
      [S - 60, S - 3600, S - 86400],
      null,
    )
    expect(plan.tier).toBe(2)
    expect(plan.segments).toEqual([
      { step_s: 10, lo_s: D + 1230, hi_s: D + 1260 },
      { step_s: 60, lo_s: D + 1260, hi_s: D + 3600 },
      { step_s: 3600, lo_s: D + 3600, hi_s: S - 3600 },
      { step_s: 60, lo_s: S - 3600, hi_s: S - 60 },
      { step_s: 10, lo_s: S - 60, hi_s: S + 100 },
    ])
    expect([plan.from_s, plan.to_s]).toEqual([D + 1230, S + 100])
  })
  it('widens an edge to a whole bucket where the finer tiers no longer hold it', () => {
    // 10 s and 1 m pruned before S - 3600: a range starting a day ago starts on the hour.
    const plan = planSegments(
      S - 86400 + 1234,
      S - 1800 + 5,
      0,
      [S - 3600, S - 3600, 0, 0],
      [S, S, S - 86400],
    )
    expect(plan.tier).toBe(2)
    expect(plan.segments).toEqual([
      { step_s: 3600, lo_s: S - 86400, hi_s: S - 3600 },
      { step_s: 60, lo_s: S - 3600, hi_s: S - 1800 },
      { step_s: 10, lo_s: S - 1800, hi_s: S - 1790 },
    ])
    expect(plan.from_s).toBe(S - 86400)
  })
  it('reads unbucketed ranges coarse enough for at most 1,500 buckets', () => {
    const done = [S, S, S]
    expect(planSegments(S - 3600, S, 0, [0, 0, 0, 0], done).tier).toBe(0)
    expect(planSegments(S - 86400, S, 0, [0, 0, 0, 0], done).tier).toBe(1)
    expect(planSegments(S - 7 * 86400, S, 0, [0, 0, 0, 0], done).tier).toBe(2)
    expect(planSegments(S - 7 * 86400, S, 1, [0, 0, 0, 0], done, null).tier).toBe(1)
    expect(planSegments(S - 86400, S, 0, [0, 0, 0, 0], done, null).tier).toBe(0)
  })
})

describe('queryHistory', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)
  const path = `${tmp.dir}/q.db`
  const db = openHistoryDb(path)
  const w = new HistoryWriter(db, path, { flush_ms: 0 })
  const c = (t_s: number, a: string, b: string, proto: string, ab: number, ba: number) =>
    w.addConversation({
      time_us: t_s * 1e6,
      protocol: proto,
      address_a: a,
      port_a: proto === 'icmp' ? null : 5000,
      address_b: b,
      port_b: proto === 'icmp' ? null : 53,
      packets_a_to_b: 1,
      bytes_a_to_b: ab,
      packets_b_to_a: 1,
      bytes_b_to_a: ba,
      retransmissions: 0,
      first_seen_us: t_s * 1e6,
      last_seen_us: t_s * 1e6 + 5,
      handshake_rtt_ms: null,
    })
  c(S + 1, 'h1', 'h2', 'udp', 100, 1000)
  c(S + 11, 'h1', 'h2', 'udp', 100, 1000)
  c(S + 11, 'h3', 'h2', 'icmp', 10, 10)
  c(S + 75, '=cmd', 'h1', 'tcp', 5000, 0)
  w.addInterface({
    time_us: S * 1e6,
    name: 'eth0',
    rx_bytes: 10,
    tx_bytes: 20,
    rx_packets: 1,
    tx_packets: 2,
    drops: 3,
  })
  w.addInterface({
    time_us: (S + 65) * 1e6,
    name: 'eth0',
    rx_bytes: 1,
    tx_bytes: 2,
    rx_packets: 1,
    tx_packets: 1,
    drops: 0,
  })
  w.addInterface({
    time_us: S * 1e6,
    name: 'lo',
    rx_bytes: 1,
    tx_bytes: 1,
    rx_packets: 1,
    tx_packets: 1,
    drops: 0,
  })
  w.flush()
  afterAll(() => w.close())
  const q = (over: object) =>
    queryHistory(db, {
      from_s: S,
      to_s: S + 3600,
      by: 'conversation',
      bucket: null,
      top: null,
      ...over,
    })

  it('groups by conversation, biggest first, ports null where there are none', () => {
    const rows = q({}).rows
    expect(rows.map((r) => ('address_a' in r ? r.address_a : ''))).toEqual(['=cmd', 'h1', 'h3'])
    expect(rows[1]).toMatchObject({ bytes_a_to_b: 200, bytes_b_to_a: 2000, bucket_start: null })
    expect(rows[2]).toMatchObject({ port_a: null, port_b: null })
  })

  it('groups by host (each end of each conversation) and by protocol', () => {
    const hosts = q({ by: 'host' }).rows
    expect(hosts.find((h) => 'address' in h && h.address === 'h2')).toMatchObject({
      bytes_sent: 2010,
      bytes_received: 210,
      conversations: 2,
      first_seen: '2026-09-22T00:00:01.000000Z',
    })
    expect(q({ by: 'protocol' }).rows).toEqual([
      { bucket_start: null, protocol: 'tcp', packets: 2, bytes: 5000, conversations: 1 },
      { bucket_start: null, protocol: 'udp', packets: 4, bytes: 2200, conversations: 1 },
      { bucket_start: null, protocol: 'icmp', packets: 2, bytes: 20, conversations: 1 },
    ])
  })

  it('groups by interface, buckets by a step, and keeps the top N', () => {
    expect(q({ by: 'interface', top: 1 }).rows).toEqual([
      {
        bucket_start: null,
        interface: 'eth0',
        rx_bytes: 11,
        tx_bytes: 22,
        rx_packets: 2,
        tx_packets: 3,
        drops: 3,
      },
    ])
    const res = q({ by: 'interface', bucket: '1m' })
    expect(res.meta).toMatchObject({ tier: '1m', step: '1m' })
    expect(res.rows.map((r) => [r.bucket_start, 'interface' in r && r.interface])).toEqual([
      ['2026-09-22T00:00:00.000000Z', 'eth0'],
      ['2026-09-22T00:00:00.000000Z', 'lo'],
      ['2026-09-22T00:01:00.000000Z', 'eth0'],
    ])
    const top = q({ bucket: '10s', top: 1 }).rows
    expect(top).toHaveLength(1)
    expect(top[0]).toMatchObject({ bucket_start: '2026-09-22T00:01:10.000000Z', address_a: '=cmd' })
  })

  it('exports a query as CSV into a stream in one call', async () => {
    const chunks: string[] = []
    const out = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk))
        done()
      },
    })
    const meta = await exportHistory(
      db,
      { from_s: S, to_s: S + 3600, by: 'protocol', bucket: null, top: null },
      'csv',
      out,
    )
    expect(meta.tier).toBe('10s')
    expect(chunks.join('')).toBe(
      'protocol,packets,bytes,conversations\ntcp,2,5000,1\nudp,4,2200,1\nicmp,2,20,1\n',
    )
  })

  it('rejects an empty or reversed range', () => {
    expect(() => q({ from_s: S + 10, to_s: S + 10 })).toThrow(/from must be before to/)
  })
})
