import { describe, expect, it } from 'vitest'
import type { CaptureSnapshot } from '../../../common/capture'
import {
  asnRows,
  CONVERSATION_REPORT_COLUMNS,
  conversationRows,
  countryRows,
  processRows,
  serviceRows,
  hostRows,
  protocolRows,
} from '../../../electron/shared/report/rows'
import { conversation } from './fixtures'

describe('conversation rows', () => {
  it('have exactly the csv columns, ISO times, null ports and rounded RTT', () => {
    const [row] = conversationRows([
      conversation({ protocol: 'icmp', port_a: null, port_b: null, handshake_rtt_ms: 0.1 + 0.2 }),
    ])
    expect(Object.keys(row!)).toEqual([...CONVERSATION_REPORT_COLUMNS])
    expect(row).toMatchObject({
      protocol: 'icmp',
      port_a: null,
      port_b: null,
      first_seen: '2026-11-26T07:15:08.123456Z',
      handshake_rtt_ms: 0.3,
    })
  })
  it('are ordered by first seen, then by key', () => {
    const rows = conversationRows([
      conversation({ first_seen_us: 3, address_a: 'c' }),
      conversation({ first_seen_us: 1, address_a: 'b' }),
      conversation({ first_seen_us: 1, address_a: 'a' }),
    ])
    expect(rows.map((r) => r.address_a)).toEqual(['a', 'b', 'c'])
  })
})

describe('host rows', () => {
  it('sum what each address sent and received across conversations', () => {
    const rows = hostRows([
      conversation({
        address_a: '10.0.0.1',
        address_b: '10.0.0.2',
        packets_a_to_b: 10,
        bytes_a_to_b: 1000,
        packets_b_to_a: 8,
        bytes_b_to_a: 8000,
      }),
      conversation({
        address_a: '10.0.0.3',
        address_b: '10.0.0.1',
        packets_a_to_b: 1,
        bytes_a_to_b: 100,
        packets_b_to_a: 2,
        bytes_b_to_a: 200,
      }),
    ])
    const h1 = rows.find((r) => r.address === '10.0.0.1')!
    expect(h1).toMatchObject({
      packets_sent: 12,
      bytes_sent: 1200,
      packets_received: 9,
      bytes_received: 8100,
      conversations: 2,
    })
    expect(rows.find((r) => r.address === '10.0.0.3')).toMatchObject({
      packets_sent: 1,
      bytes_received: 200,
      conversations: 1,
    })
    expect(rows[0]!.address).toBe('10.0.0.1') // busiest first
  })
  it('count a conversation of an address with itself once, both directions as sent and received', () => {
    const [h] = hostRows([
      conversation({
        address_a: '::1',
        address_b: '::1',
        packets_a_to_b: 3,
        bytes_a_to_b: 30,
        packets_b_to_a: 2,
        bytes_b_to_a: 20,
      }),
    ])
    expect(h).toMatchObject({
      address: '::1',
      packets_sent: 5,
      bytes_sent: 50,
      packets_received: 5,
      bytes_received: 50,
      conversations: 1,
    })
  })
})

describe('protocol rows', () => {
  it('take every frame from the capture totals and count conversations per protocol', () => {
    const snapshot = {
      by_protocol: {
        tcp: { packets: 18, bytes: 9000 },
        arp: { packets: 2, bytes: 84 },
        udp: { packets: 1, bytes: 100 },
      },
    } as unknown as CaptureSnapshot
    const rows = protocolRows(snapshot, [
      conversation(),
      conversation({ port_a: 40001 }),
      conversation({ protocol: 'udp' }),
    ])
    expect(rows).toEqual([
      { protocol: 'tcp', packets: 18, bytes: 9000, conversations: 2 },
      { protocol: 'udp', packets: 1, bytes: 100, conversations: 1 },
      { protocol: 'arp', packets: 2, bytes: 84, conversations: 0 },
    ])
  })
})

describe('who is talking', () => {
  const records = [
    conversation({
      address_a: '10.0.0.1',
      address_b: '1.1.1.1',
      port_a: 40000,
      port_b: 443,
      process: 'curl',
      pid: 42,
      process_side: 'a',
      range_a: 'private',
      country_b: 'AU',
      asn_b: 13335,
      as_org_b: 'Cloudflare, Inc.',
      packets_a_to_b: 10,
      bytes_a_to_b: 1000,
      packets_b_to_a: 8,
      bytes_b_to_a: 8000,
    }),
    conversation({
      protocol: 'udp',
      address_a: '8.8.8.8',
      address_b: '10.0.0.1',
      port_a: 53,
      port_b: 50000,
      process: null,
      pid: null,
      range_b: 'private',
      country_a: 'US',
      asn_a: 15169,
      as_org_a: 'Google LLC',
      packets_a_to_b: 1,
      bytes_a_to_b: 100,
      packets_b_to_a: 1,
      bytes_b_to_a: 60,
    }),
  ]
  it('conversation rows carry the special range label in place of a country', () => {
    const [r] = conversationRows(records.slice(0, 1))
    expect(r).toMatchObject({ process: 'curl', pid: 42, country_a: 'private', country_b: 'AU' })
    expect(r).toMatchObject({ asn_a: null, asn_b: 13335, name_a: null })
  })
  it('process rows count from the owner side, and keep an unknown bucket', () => {
    expect(processRows(records)).toEqual([
      expect.objectContaining({ process: 'curl', pid: 42, bytes_sent: 1000, bytes_received: 8000 }),
      expect.objectContaining({ process: 'unknown', pid: null, bytes_sent: 100, conversations: 1 }),
    ])
  })
  it('country and AS rows group each endpoint', () => {
    const c = countryRows(records)
    expect(c.find((r) => r.country === 'private')).toMatchObject({
      conversations: 2,
      bytes_sent: 1060,
      bytes_received: 8100,
    })
    expect(c.find((r) => r.country === 'AU')).toMatchObject({ bytes_sent: 8000 })
    const a = asnRows(records)
    expect(a.find((r) => r.asn === 15169)).toMatchObject({ as_org: 'Google LLC', bytes_sent: 100 })
    expect(a.find((r) => r.as_org === 'private')).toMatchObject({ asn: null, conversations: 2 })
  })
  it('service rows name the registered port', () => {
    const s = serviceRows(records)
    expect(s.map((r) => [r.service, r.protocol, r.port, r.bytes])).toEqual([
      ['https', 'tcp', 443, 9000],
      ['domain', 'udp', 53, 160],
    ])
  })
})
