import { describe, expect, it } from 'vitest'
import type { CaptureSnapshot } from '../../../common/capture'
import {
  CONVERSATION_COLUMNS,
  conversationRows,
  hostRows,
  protocolRows,
} from '../../../electron/shared/report/rows'
import { conversation } from './fixtures'

describe('conversation rows', () => {
  it('have exactly the csv columns, ISO times, null ports and rounded RTT', () => {
    const [row] = conversationRows([
      conversation({ protocol: 'icmp', port_a: null, port_b: null, handshake_rtt_ms: 0.1 + 0.2 }),
    ])
    expect(Object.keys(row!)).toEqual([...CONVERSATION_COLUMNS])
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
