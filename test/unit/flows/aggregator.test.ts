import { describe, expect, it } from 'vitest'
import { CaptureSnapshot, type ConversationRecord } from '../../../common/capture'
import { Aggregator, UnsupportedLinkTypeError } from '../../../electron/shared/flows/aggregator'
import { ether, ipv4, ipv6, tcp, u8, udp } from '../decode/frames'

const S = 1e6 // µs per second
const RAW = 101

function tcpFrame(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  o: Parameters<typeof tcp>[0] = {},
): Uint8Array {
  return u8(ipv4(tcp({ sport, dport, ...o }), { src, dst }))
}
const C = '10.0.0.1'
const SV = '10.0.0.2'
const up = (o: Parameters<typeof tcp>[0] = {}) => tcpFrame(C, 40000, SV, 80, o)
const down = (o: Parameters<typeof tcp>[0] = {}) => tcpFrame(SV, 80, C, 40000, o)

function only(agg: Aggregator): ConversationRecord {
  const convs = agg.conversations()
  expect(convs).toHaveLength(1)
  return convs[0]!
}

describe('Aggregator', () => {
  it('rejects an unsupported link type with a clear message', () => {
    expect(() => new Aggregator({ linkType: 105 })).toThrow(UnsupportedLinkTypeError)
    expect(() => new Aggregator({ linkType: 105 })).toThrow(
      'unsupported link type 105 (IEEE802_11)',
    )
    expect(() => new Aggregator({ linkType: 4242 })).toThrow(
      'unsupported link type 4242 (LINKTYPE_4242)',
    )
  })

  it('accepts any numbers as options', () => {
    for (const maxFlows of [0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const agg = new Aggregator({ linkType: RAW, maxFlows, idleTimeoutS: Number.NaN })
      agg.add(S, up(), 60)
      agg.add(S, down({ sport: 81 }), 60)
      expect(agg.snapshot().packets).toBe(2)
    }
  })

  it('makes the first packet source endpoint A and counts orig_len bytes per direction', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(10 * S, down(), 1500) // first seen from the server: the server is A
    agg.add(10 * S + 5, up(), 60)
    agg.add(10 * S + 9, down(), 1400)
    const c = only(agg)
    expect(c).toMatchObject({
      protocol: 'tcp',
      address_a: SV,
      port_a: 80,
      address_b: C,
      port_b: 40000,
      packets_a_to_b: 2,
      bytes_a_to_b: 2900,
      packets_b_to_a: 1,
      bytes_b_to_a: 60,
      first_seen_us: 10 * S,
      last_seen_us: 10 * S + 9,
    })
  })

  it('keys ICMP, ICMPv6 and other IP protocols by address pair, with null ports', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(S, u8(ipv4([8, 0, 0, 0], { proto: 1, src: C, dst: SV })), 98)
    agg.add(S, u8(ipv4([0, 0, 0, 0], { proto: 1, src: SV, dst: C })), 98)
    agg.add(S, u8(ipv6(58, [128, 0, 0, 0])), 118)
    agg.add(S, u8(ipv4([0, 0, 8, 0], { proto: 47 })), 80)
    const byProto = Object.fromEntries(agg.conversations().map((c) => [c.protocol, c]))
    expect(byProto.icmp).toMatchObject({
      port_a: null,
      port_b: null,
      packets_a_to_b: 1,
      packets_b_to_a: 1,
    })
    expect(byProto.icmpv6).toMatchObject({
      address_a: 'fd00::1',
      address_b: 'fd00::2',
      port_a: null,
    })
    expect(byProto['47']).toMatchObject({ port_a: null, port_b: null, bytes_a_to_b: 80 })
  })

  it('counts non-IP and malformed frames in the totals only; totals add up; snapshot is valid', () => {
    const agg = new Aggregator({ linkType: 1 })
    agg.add(S, u8(ether(0x0800, ipv4(udp(1, 2, 10), { proto: 17 }))), 52)
    agg.add(S, u8(ether(0x0806, Array<number>(28).fill(0))), 60)
    agg.add(S, u8(ether(0x88cc, [1, 2])), 70)
    agg.add(S, u8([1, 2, 3]), 3)
    agg.add(S, u8(ether(0x0800, [0x45, 0, 0])), 17)
    const snap = agg.snapshot()
    expect(CaptureSnapshot.parse(snap)).toEqual(snap)
    expect(snap).toMatchObject({
      packets: 5,
      bytes: 202,
      link_type: 1,
      link_type_name: 'EN10MB',
      malformed: { truncated_link: 1, truncated_ip: 1 },
      malformed_total: 2,
      flows_active: 1,
    })
    expect(snap.by_protocol).toEqual({
      udp: { packets: 1, bytes: 52 },
      arp: { packets: 1, bytes: 60 },
      lldp: { packets: 1, bytes: 70 },
      malformed: { packets: 2, bytes: 20 },
    })
    expect(agg.malformed()).toEqual({ truncated_link: 1, truncated_ip: 1 })
    expect(snap.conversations).toHaveLength(1)
  })

  it('evicts the least recently seen flow when full, and reports it', () => {
    const ended: ConversationRecord[] = []
    const agg = new Aggregator({ linkType: RAW, maxFlows: 3, onFlowEnd: (r) => ended.push(r) })
    const flow = (i: number) => tcpFrame(C, 1000 + i, SV, 80)
    agg.add(1 * S, flow(1), 100)
    agg.add(2 * S, flow(2), 100)
    agg.add(3 * S, flow(3), 100)
    agg.add(4 * S, flow(1), 100) // flow 1 is now the most recent: flow 2 goes first
    agg.add(5 * S, flow(4), 100)
    agg.add(6 * S, flow(5), 100)
    expect(ended.map((r) => r.port_a)).toEqual([1002, 1003])
    const snap = agg.snapshot()
    expect(snap).toMatchObject({ flows_active: 3, flows_evicted: 2, flows_expired: 0 })
    expect(agg.conversations().map((r) => r.port_a)).toEqual([1001, 1004, 1005])
    expect(agg.conversations()[0]!.packets_a_to_b).toBe(2)
  })

  it('expires idle flows on capture time, also through advance()', () => {
    const ended: ConversationRecord[] = []
    const agg = new Aggregator({ linkType: RAW, idleTimeoutS: 10, onFlowEnd: (r) => ended.push(r) })
    agg.add(100 * S, tcpFrame(C, 1, SV, 80), 60)
    agg.add(105 * S, tcpFrame(C, 2, SV, 80), 60)
    agg.advance(110 * S) // flow 1 idle exactly 10 s: not yet
    expect(agg.snapshot().flows_expired).toBe(0)
    agg.advance(111 * S)
    expect(ended.map((r) => r.port_a)).toEqual([1])
    agg.add(116 * S, tcpFrame(C, 3, SV, 80), 60)
    expect(ended.map((r) => r.port_a)).toEqual([1, 2])
    expect(agg.snapshot()).toMatchObject({ flows_active: 1, flows_expired: 2, flows_evicted: 0 })
  })

  it('iftop windows: 1000 B/s for 40 s gives s2 = s10 = s40 = 1000, then decays', () => {
    const agg = new Aggregator({ linkType: RAW })
    const t0 = 1_700_000_000 * S
    for (let i = 0; i < 40; i++) {
      agg.add(t0 + i * S + 250_000, up(), 600)
      agg.add(t0 + i * S + 750_000, up(), 400)
      agg.add(t0 + i * S + 500_000, down(), 100)
    }
    agg.advance(t0 + 40 * S)
    let c = only(agg)
    expect(c.rate_a_to_b_bps).toEqual({ s2: 1000, s10: 1000, s40: 1000 })
    expect(c.rate_b_to_a_bps).toEqual({ s2: 100, s10: 100, s40: 100 })
    expect([c.peak_a_to_b_bps, c.peak_b_to_a_bps]).toEqual([1000, 100])
    expect([c.peak_ever_a_to_b_bps, c.peak_ever_b_to_a_bps]).toEqual([1000, 100])
    expect(agg.snapshot().rates_bps).toEqual({ s2: 1100, s10: 1100, s40: 1100 })
    agg.advance(t0 + 45 * S)
    c = only(agg)
    expect(c.rate_a_to_b_bps).toEqual({ s2: 0, s10: 500, s40: 875 })
    expect(c.peak_a_to_b_bps).toBe(1000)
    agg.advance(t0 + 200 * S)
    expect(only(agg).rate_a_to_b_bps).toEqual({ s2: 0, s10: 0, s40: 0 })
    expect(agg.snapshot().rates_bps).toEqual({ s2: 0, s10: 0, s40: 0 })
  })

  it('divides by the capture age while it is younger than a window (as iftop)', () => {
    const agg = new Aggregator({ linkType: RAW })
    for (let i = 0; i < 3; i++) agg.add(i * S + 1, up(), 1000)
    agg.advance(2 * S + 10) // seconds 0 and 1 complete
    expect(only(agg).rate_a_to_b_bps).toEqual({ s2: 1000, s10: 1000, s40: 1000 })
    agg.advance(3 * S)
    expect(only(agg).rate_a_to_b_bps).toEqual({ s2: 1000, s10: 1000, s40: 1000 })
  })

  it('peak is the highest 2 s average', () => {
    const agg = new Aggregator({ linkType: RAW })
    for (let i = 0; i < 20; i++) agg.add(i * S, up(), i === 7 ? 10_000 : 1000)
    agg.advance(20 * S)
    let c = only(agg)
    expect(c.peak_a_to_b_bps).toBe(5500)
    expect(c.peak_ever_a_to_b_bps).toBe(5500)
    expect(agg.snapshot()).toMatchObject({ peak_bps: 5500, peak_ever_bps: 5500 })
    // iftop forgets a peak once it leaves the 40 s history; peak_ever does not.
    agg.add(60 * S, up(), 3000)
    agg.advance(61 * S)
    c = only(agg)
    expect([c.rate_a_to_b_bps.s2, c.peak_a_to_b_bps, c.peak_ever_a_to_b_bps]).toEqual([
      1500, 1500, 5500,
    ])
    expect(agg.snapshot()).toMatchObject({ peak_bps: 1500, peak_ever_bps: 5500 })
  })

  it('gives a flow that lived one second (no ring of its own yet) the same numbers', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(0, tcpFrame(C, 1, SV, 80), 100)
    agg.add(5.5 * S, tcpFrame(C, 2, SV, 80), 2000)
    agg.advance(7 * S)
    const c = agg.conversations()[1]!
    expect(c.rate_a_to_b_bps).toEqual({ s2: 1000, s10: 2000 / 7, s40: 2000 / 7 })
    expect([c.peak_a_to_b_bps, c.peak_ever_a_to_b_bps]).toEqual([1000, 1000])
    expect(c.rate_b_to_a_bps).toEqual({ s2: 0, s10: 0, s40: 0 })
  })

  it('keeps counting cumulatively on out-of-order timestamps', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(100 * S, up(), 100)
    agg.add(99 * S, up(), 100)
    agg.add(10 * S, up(), 100) // older than the ring
    const c = only(agg)
    expect([c.packets_a_to_b, c.bytes_a_to_b, c.first_seen_us, c.last_seen_us]).toEqual([
      3,
      300,
      10 * S,
      100 * S,
    ])
  })

  it('TCP: handshake RTT from SYN to SYN/ACK, in ms', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(S, up({ flags: 0x02, seq: 100 }), 60)
    agg.add(S + 250, down({ flags: 0x12, seq: 900, ack: 101 }), 60)
    agg.add(S + 300, up({ flags: 0x10, seq: 101, ack: 901 }), 60)
    expect(only(agg).handshake_rtt_ms).toBe(0.25)
    expect(only(agg).out_of_order).toBe(0)
    expect(only(agg).retransmissions).toBe(0)
  })

  describe('TCP sequence analysis (Wireshark verdicts)', () => {
    const ISN = 0xffffff00 // client data wraps past 2^32
    const c = (n: number) => (ISN + 1 + n) >>> 0 // client sequence after n bytes
    const MS = 1000
    /** Handshake with a 20 ms first RTT, then the client's first 300 bytes in two segments. */
    function open() {
      const agg = new Aggregator({ linkType: RAW })
      let t = S
      const at = (dt: number, f: Uint8Array) => agg.add((t += dt), f, 100)
      at(0, up({ flags: 0x02, seq: ISN }))
      at(10 * MS, down({ flags: 0x12, seq: 5000, ack: c(0) }))
      at(10 * MS, up({ flags: 0x10, seq: c(0), ack: 5001 }))
      at(1 * MS, up({ flags: 0x18, seq: c(0), ack: 5001, payload: 200 }))
      at(1 * MS, up({ flags: 0x18, seq: c(200), ack: 5001, payload: 100 }))
      return { agg, at }
    }
    const tcpOf = (agg: Aggregator) => {
      const r = only(agg)
      return {
        retransmissions: r.retransmissions,
        out_of_order: r.out_of_order,
        rtt: r.handshake_rtt_ms,
      }
    }

    it('handshake and in-order data: nothing flagged', () => {
      const { agg } = open()
      expect(tcpOf(agg)).toEqual({ retransmissions: 0, out_of_order: 0, rtt: 10 })
    })

    it('a resent or overlapping segment after an RTT is a retransmission', () => {
      const { agg, at } = open()
      at(200 * MS, up({ flags: 0x18, seq: c(0), ack: 5001, payload: 200 }))
      at(200 * MS, up({ flags: 0x18, seq: c(250), ack: 5001, payload: 100 })) // extends nextseq
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 2, out_of_order: 0 })
    })

    it('a SYN or FIN sent again is a retransmission', () => {
      const agg = new Aggregator({ linkType: RAW })
      agg.add(S, up({ flags: 0x02, seq: ISN }), 60)
      agg.add(2 * S, up({ flags: 0x02, seq: ISN }), 60)
      agg.add(2 * S + 50, down({ flags: 0x12, seq: 5000, ack: c(0) }), 60)
      agg.add(3 * S, down({ flags: 0x11, seq: 5001, ack: c(0) }), 60)
      agg.add(4 * S, down({ flags: 0x11, seq: 5001, ack: c(0) }), 60)
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 2, out_of_order: 0 })
    })

    it('keep-alives, pure ACKs and RSTs are not', () => {
      const { agg, at } = open()
      at(1 * S, up({ flags: 0x10, seq: c(299), ack: 5001, payload: 1 }))
      at(1 * S, up({ flags: 0x10, seq: c(299), ack: 5001 }))
      at(1 * S, down({ flags: 0x10, seq: 5001, ack: c(300) }))
      at(1 * S, up({ flags: 0x04, seq: c(300) }))
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 0, out_of_order: 0 })
    })

    it('a segment below nextseq within the first RTT of the newest one is out-of-order', () => {
      const { agg, at } = open()
      at(1 * MS, up({ flags: 0x18, seq: c(400), ack: 5001, payload: 100 })) // 300..400 missing
      at(2 * MS, up({ flags: 0x18, seq: c(300), ack: 5001, payload: 100 })) // arrives late: OOO
      at(100 * MS, up({ flags: 0x18, seq: c(300), ack: 5001, payload: 50 })) // much later: retransmission
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 1, out_of_order: 1 })
    })

    it('after two duplicate ACKs the segment they ask for is a (fast) retransmission, even at once', () => {
      const { agg, at } = open()
      at(1 * MS, up({ flags: 0x18, seq: c(300), ack: 5001, payload: 100 }))
      at(1 * MS, down({ flags: 0x10, seq: 5001, ack: c(200), win: 500 }))
      at(0, down({ flags: 0x10, seq: 5001, ack: c(200), win: 500 })) // dup 1
      at(0, down({ flags: 0x10, seq: 5001, ack: c(200), win: 500 })) // dup 2
      at(0, up({ flags: 0x18, seq: c(200), ack: 5001, payload: 100 })) // within 20 ms, < first RTT
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 1, out_of_order: 0 })
    })

    it('data the peer already acknowledged is a (spurious) retransmission', () => {
      const { agg, at } = open()
      at(1 * MS, down({ flags: 0x10, seq: 5001, ack: c(300) }))
      at(0, up({ flags: 0x18, seq: c(100), ack: 5001, payload: 100 })) // even at once
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 1, out_of_order: 0 })
    })

    it('a zero-window probe neither counts nor advances nextseq', () => {
      const { agg, at } = open()
      at(1 * MS, down({ flags: 0x10, seq: 5001, ack: c(300), win: 0 }))
      at(500 * MS, up({ flags: 0x10, seq: c(300), ack: 5001, payload: 1 })) // probe
      at(500 * MS, up({ flags: 0x10, seq: c(300), ack: 5001, payload: 1 })) // probe again
      at(1 * MS, down({ flags: 0x10, seq: 5001, ack: c(300), win: 500 }))
      at(1 * MS, up({ flags: 0x18, seq: c(300), ack: 5001, payload: 100 })) // the data itself
      expect(tcpOf(agg)).toMatchObject({ retransmissions: 0, out_of_order: 0 })
    })
  })

  describe('IP fragments', () => {
    const first = ipv4(udp(7000, 9000, 1472), {
      proto: 17,
      mf: true,
      id: 42,
      src: C,
      dst: SV,
    }).slice(0, 1500)
    const later = ipv4(Array<number>(600).fill(0), {
      proto: 17,
      fragOffset: 185,
      id: 42,
      src: C,
      dst: SV,
    })
    const stray = ipv4(Array<number>(100).fill(0), {
      proto: 17,
      fragOffset: 10,
      id: 43,
      src: C,
      dst: SV,
    })
    const feed = (agg: Aggregator) => {
      agg.add(S, u8(first), 1514)
      agg.add(S + 1, u8(later), 634)
      agg.add(S + 2, u8(stray), 134)
      return agg.conversations()
    }

    it('by default count non-first fragments in the portless conversation (as tshark conv,udp)', () => {
      const convs = feed(new Aggregator({ linkType: RAW }))
      expect(convs).toHaveLength(2)
      expect(convs[0]).toMatchObject({
        protocol: 'udp',
        port_a: 7000,
        packets_a_to_b: 1,
        bytes_a_to_b: 1514,
      })
      expect(convs[1]).toMatchObject({
        protocol: 'udp',
        port_a: null,
        port_b: null,
        packets_a_to_b: 2,
        bytes_a_to_b: 768,
      })
    })

    it('with mapFragments count them in their datagram conversation when the first was seen', () => {
      const convs = feed(new Aggregator({ linkType: RAW, mapFragments: true }))
      expect(convs).toHaveLength(2)
      expect(convs[0]).toMatchObject({
        protocol: 'udp',
        port_a: 7000,
        port_b: 9000,
        packets_a_to_b: 2,
        bytes_a_to_b: 2148,
      })
      expect(convs[1]).toMatchObject({
        protocol: 'udp',
        port_a: null,
        port_b: null,
        packets_a_to_b: 1,
      })
    })
  })

  it('never throws, whatever it is fed', () => {
    const agg = new Aggregator({ linkType: 1 })
    agg.add(Number.NaN, new Uint8Array(0), Number.NaN)
    agg.add(-5, u8([0xff]), -1)
    agg.add(S, new Uint8Array(64).fill(0xff), 64)
    const agg2 = new Aggregator({
      linkType: RAW,
      maxFlows: 1,
      onFlowEnd: () => {
        throw new Error('consumer bug')
      },
    })
    agg2.add(S, up(), 60)
    agg2.add(S, down({ sport: 1 }), 60)
    agg.add(2.5e6 + 0.25, u8(ether(0x0800, ipv4(udp(1, 2, 4), { proto: 17 }))), 60.5)
    expect(CaptureSnapshot.parse(agg.snapshot()).conversations[0]!.first_seen_us).toBe(2_500_000)
    expect(agg.snapshot().packets).toBe(4)
    expect(agg.malformed().internal_error).toBeUndefined()
    expect(agg2.snapshot()).toMatchObject({ packets: 2, flows_evicted: 1, flows_active: 1 })
  })

  it('orders the snapshot by 10 s rate, then bytes, and honours top', () => {
    const agg = new Aggregator({ linkType: RAW })
    agg.add(1 * S, tcpFrame(C, 1, SV, 80), 10_000) // big but old
    for (let i = 0; i < 12; i++) agg.add((20 + i) * S, tcpFrame(C, 2, SV, 80), 100)
    agg.add(31 * S, tcpFrame(C, 3, SV, 80), 5000)
    agg.advance(32 * S)
    expect(agg.snapshot().conversations.map((c) => c.port_a)).toEqual([3, 2, 1])
    expect(agg.snapshot(2).conversations.map((c) => c.port_a)).toEqual([3, 2])
    expect(agg.snapshot(0).conversations).toEqual([])
  })
})

describe('flow table under churn', () => {
  it('stays consistent with a reference map through inserts, evictions and expiry', () => {
    let seed = 12345
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const ended: ConversationRecord[] = []
    const agg = new Aggregator({
      linkType: RAW,
      maxFlows: 64,
      idleTimeoutS: 5,
      onFlowEnd: (r) => ended.push(r),
    })
    let fed = 0
    for (let i = 0; i < 20_000; i++) {
      const a = `10.0.${rnd(4)}.${rnd(8)}`
      const b = `10.1.${rnd(4)}.${rnd(8)}`
      const sp = 1000 + rnd(3)
      const f = rnd(2) ? tcpFrame(a, sp, b, 80) : tcpFrame(b, 80, a, sp)
      agg.add(i * 1000 + (rnd(50) === 0 ? 8 * S * rnd(3) : 0), f, 100)
      fed++
    }
    const live = agg.conversations()
    const snap = agg.snapshot()
    expect(live.length).toBe(snap.flows_active)
    expect(live.length).toBeLessThanOrEqual(64)
    expect(ended.length).toBe(snap.flows_evicted + snap.flows_expired)
    const packets = [...live, ...ended].reduce((n, c) => n + c.packets_a_to_b + c.packets_b_to_a, 0)
    expect(packets).toBe(fed)
    const keys = live.map((c) => [c.address_a, c.port_a, c.address_b, c.port_b].join(' '))
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe('live ticks vs file replay', () => {
  it('gives the same numbers whether or not advance() ticks run between packets', () => {
    let seed = 99
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const frames: [number, Uint8Array, number][] = []
    let t = 1_700_000_000 * S
    for (let i = 0; i < 5000; i++) {
      t += rnd(40_000) + (rnd(200) === 0 ? 7 * S : 0) // occasional silences beyond the idle timeout
      const sp = 1000 + rnd(20)
      frames.push([
        t,
        rnd(3) ? tcpFrame(C, sp, SV, 80, { payload: rnd(1400) }) : tcpFrame(SV, 80, C, sp),
        60 + rnd(1400),
      ])
    }
    const run = (ticks: boolean) => {
      const ended: ConversationRecord[] = []
      const agg = new Aggregator({
        linkType: RAW,
        idleTimeoutS: 5,
        onFlowEnd: (r) => ended.push(r),
      })
      let last = 0
      for (const [ts, f, len] of frames) {
        // Live: a tick every second of wall time, all before the next packet.
        if (ticks && last > 0)
          for (let tick = Math.ceil(last / S) * S; tick < ts; tick += S) agg.advance(tick)
        agg.add(ts, f, len)
        last = ts
      }
      agg.advance(last + 2 * S)
      return { ended, live: agg.conversations(), snap: agg.snapshot(5) }
    }
    const file = run(false)
    const live = run(true)
    expect(file.ended.length).toBeGreaterThan(0)
    const firstDiff = (a: unknown[], b: unknown[]) => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return [i, a[i], b[i]]
      }
      return null
    }
    expect(firstDiff(live.ended, file.ended)).toBeNull()
    expect(firstDiff(live.live, file.live)).toBeNull()
    expect(JSON.stringify(live.snap)).toBe(JSON.stringify(file.snap))
  })
})
