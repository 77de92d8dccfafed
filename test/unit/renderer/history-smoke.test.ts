import { describe, expect, it } from 'vitest'
import type { ConversationHistoryRow, HistoryRow, HostHistoryRow } from '../../../common/history'
import {
  bucketFor,
  groupKey,
  groupLabel,
  rowBytes,
} from '../../../renderer/src/components/history/rows'
import {
  lossToken,
  smokeFromHistory,
  smokeFromOutcomes,
  withAlpha,
} from '../../../renderer/src/components/probes/smoke'

const conv: ConversationHistoryRow = {
  bucket_start: '2026-11-30T07:00:10.000000Z',
  protocol: 'tcp',
  address_a: '10.0.0.2',
  port_a: 50000,
  address_b: '10.0.0.1',
  port_b: 5201,
  packets_a_to_b: 10,
  bytes_a_to_b: 15000,
  packets_b_to_a: 5,
  bytes_b_to_a: 300,
  first_seen: '2026-11-30T07:00:11.000000Z',
  last_seen: '2026-11-30T07:00:12.000000Z',
  retransmissions: 0,
  handshake_rtt_ms: 0.1,
  process: 'iperf3',
  pid: 4242,
  service: null,
  name_a: null,
  name_b: 'server.example',
  country_a: null,
  country_b: null,
  asn_a: null,
  asn_b: null,
}

describe('history rows', () => {
  it('groups by identity columns, not counts or times; bytes are both directions', () => {
    expect(groupKey(conv)).toBe('tcp|10.0.0.2|50000|10.0.0.1|5201')
    expect(groupKey({ ...conv, bytes_a_to_b: 1, bucket_start: null })).toBe(groupKey(conv))
    expect(groupLabel(conv)).toBe('tcp 10.0.0.2:50000 ↔ 10.0.0.1:5201')
    expect(groupLabel({ ...conv, protocol: 'icmp', port_a: null, port_b: null })).toBe(
      'icmp 10.0.0.2 ↔ 10.0.0.1',
    )
    expect(rowBytes(conv)).toBe(15300)
    const host: HostHistoryRow = {
      bucket_start: null,
      address: '10.0.0.1',
      packets_sent: 1,
      bytes_sent: 700,
      packets_received: 2,
      bytes_received: 900,
      conversations: 1,
      first_seen: conv.first_seen,
      last_seen: conv.last_seen,
    }
    // A host's bar is what it sent, so stacked hosts add up to the traffic once.
    expect(rowBytes(host)).toBe(700)
    expect(groupKey(host)).toBe('10.0.0.1')
    // Who is talking describes a conversation, it does not split it.
    expect(groupKey({ ...conv, process: null, name_b: null })).toBe(groupKey(conv))
    const sided = { ...host, address: undefined }
    delete sided.address
    const proc = { ...sided, process: 'curl', pid: 77 } as unknown as HistoryRow
    expect(groupKey(proc)).toBe('curl|77')
    expect(rowBytes(proc)).toBe(1600) // a program's traffic is both ways
    const country = { ...sided, country: 'DE' } as unknown as HistoryRow
    expect(rowBytes(country)).toBe(700)
    const asn = { ...sided, asn: null, as_org: 'private (RFC 1918)' } as unknown as HistoryRow
    expect(groupKey(asn)).toBe('|private (RFC 1918)')
    expect(groupLabel(asn)).toBe('private (RFC 1918)')
  })

  it('picks the finest bucket that keeps a range readable', () => {
    expect(bucketFor(3600)).toBe('10s')
    expect(bucketFor(86400)).toBe('1h')
    expect(bucketFor(7 * 86400)).toBe('1h')
    expect(bucketFor(30 * 86400)).toBe('1d')
    expect(bucketFor(600)).toBe('10s')
  })
})

describe('smoke', () => {
  it('per period: min, quartiles, median, max and loss of the live outcomes', () => {
    const out = [
      ...[5, 1, 3, 2, 4].map((rtt, i) => ({ t: 1000 + i, rtt })),
      { t: 1900, rtt: null },
      { t: 2000, rtt: null },
    ]
    const [p1, p2] = smokeFromOutcomes(out, 1000)
    expect(p1).toEqual({
      t: 1000,
      min: 1,
      lo: 2,
      mid: 3,
      hi: 4,
      max: 5,
      loss: (100 * 1) / 6,
      sent: 6,
    })
    expect(p2).toEqual({
      t: 2000,
      min: null,
      lo: null,
      mid: null,
      hi: null,
      max: null,
      loss: 100,
      sent: 1,
    })
  })

  it('from the store: min-max and mean +- sd, clipped to min and max', () => {
    const [p] = smokeFromHistory([
      {
        bucket_start: '2026-11-30T07:00:00.000000Z',
        kind: 'tcp',
        target: 't',
        sent: 10,
        received: 9,
        loss_pct: 10,
        rtt_avg_ms: 2,
        rtt_min_ms: 1.5,
        rtt_max_ms: 4,
        rtt_stddev_ms: 1,
        jitter_ms: 0.5,
      },
    ])
    expect(p).toMatchObject({ min: 1.5, lo: 1.5, mid: 2, hi: 3, max: 4, loss: 10, sent: 10 })
  })

  it('colours by loss and derives translucent colours from tokens', () => {
    expect([0, 5, 50, 100].map(lossToken)).toEqual(['ok', 'warn', 'danger', 'danger'])
    expect(withAlpha('#3fb950', 0.5)).toBe('rgba(63, 185, 80, 0.5)')
    expect(withAlpha('#fff', 0.1)).toBe('rgba(255, 255, 255, 0.1)')
    expect(withAlpha('rgb(1, 2, 3)', 0.2)).toBe('rgba(1, 2, 3, 0.2)')
  })
})
