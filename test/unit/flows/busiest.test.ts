/**
 * What ticks carry of the whole flow table now that they list only the top conversations:
 * every retransmission (ended and evicted conversations too) and the busiest hosts summed over
 * all their conversations.
 */
import { describe, expect, it } from 'vitest'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { ipv4, tcp, u8, udp } from '../decode/frames'

const S = 1e6
const RAW = 101
const MS = 1000

const tcpFrame = (src: string, sport: number, dst: string, dport: number, o = {}) =>
  u8(ipv4(tcp({ sport, dport, ...o }), { src, dst }))
const udpFrame = (src: string, sport: number, dst: string, dport: number) =>
  u8(ipv4(udp(sport, dport), { src, dst, proto: 17 }))

/** A handshake, one data segment and the same segment again 200 ms later: 1 retransmission. */
function retransmitOnce(agg: Aggregator, t: number, cport: number): void {
  const up = (o: object) => tcpFrame('10.0.0.1', cport, '10.0.0.2', 80, o)
  const down = (o: object) => tcpFrame('10.0.0.2', 80, '10.0.0.1', cport, o)
  agg.add(t, up({ flags: 0x02, seq: 100 }), 60)
  agg.add(t + 10 * MS, down({ flags: 0x12, seq: 5000, ack: 101 }), 60)
  agg.add(t + 20 * MS, up({ flags: 0x10, seq: 101, ack: 5001 }), 60)
  agg.add(t + 21 * MS, up({ flags: 0x18, seq: 101, ack: 5001, payload: 100 }), 160)
  agg.add(t + 221 * MS, up({ flags: 0x18, seq: 101, ack: 5001, payload: 100 }), 160)
}

describe('whole-table counts in the snapshot', () => {
  it('retransmissions_total keeps the retransmissions of evicted and expired conversations', () => {
    // A table of 2 flows: the third conversation evicts the first; an idle timeout ends more.
    const agg = new Aggregator({ linkType: RAW, maxFlows: 2, idleTimeoutS: 30 })
    retransmitOnce(agg, 1 * S, 40001)
    retransmitOnce(agg, 2 * S, 40002)
    retransmitOnce(agg, 3 * S, 40003)
    const s = agg.snapshot(1)
    expect(s.flows_evicted).toBe(1)
    expect(s.conversations).toHaveLength(1)
    // The top list (and even the table) no longer holds them all; the total does.
    expect(agg.conversations().reduce((n, c) => n + c.retransmissions, 0)).toBe(2)
    expect(s.retransmissions_total).toBe(3)
    agg.advance(100 * S)
    expect(agg.snapshot(1).flows_active).toBe(0)
    expect(agg.snapshot(1).retransmissions_total).toBe(3)
  })

  it('busiest sums a host over every conversation, beyond the top list', () => {
    const agg = new Aggregator({ linkType: RAW })
    // 50 peers each send 1,000 B/s to 10.0.9.9 (a scan-like fan-in); one big flow elsewhere.
    for (let sec = 10; sec < 14; sec++) {
      for (let i = 0; i < 50; i++)
        agg.add(sec * S + i, udpFrame(`10.0.1.${i + 1}`, 5000, '10.0.9.9', 53), 1000)
      agg.add(sec * S + 500 * MS, udpFrame('10.0.2.1', 6000, '10.0.2.2', 7000), 30_000)
    }
    agg.advance(14 * S)
    const s = agg.snapshot(20)
    expect(s.conversations).toHaveLength(20)
    const fromTop = s.conversations
      .filter((c) => c.address_b === '10.0.9.9')
      .reduce((n, c) => n + c.rate_a_to_b_bps.s2 + c.rate_b_to_a_bps.s2, 0)
    const b = agg.busiest(100)
    const host = b.hosts.find((h) => h.address === '10.0.9.9')!
    // 50 conversations × 1,000 B/s; the top 20 saw at most 19 of them.
    expect(host.bps).toBe(50_000)
    expect(fromTop).toBeLessThan(20_000)
    expect(b.hosts[0]).toEqual({ address: '10.0.9.9', bps: 50_000 })
    expect(b.hosts.find((h) => h.address === '10.0.2.1')!.bps).toBe(30_000)
    expect(b.conversations).toHaveLength(51)
    expect(b.conversations[0]).toMatchObject({ address_a: '10.0.2.1', port_b: 7000, bps: 30_000 })
    // The bound holds, busiest first.
    const two = agg.busiest(2)
    expect(two.hosts.map((h) => h.address)).toEqual(['10.0.9.9', '10.0.2.1'])
    expect(two.conversations).toHaveLength(2)
    // Quiet for longer than the window: nothing is busy.
    agg.advance(30 * S)
    expect(agg.busiest(100)).toEqual({ hosts: [], conversations: [] })
  })
})
