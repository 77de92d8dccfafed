import { describe, expect, it } from 'vitest'
import {
  DecodeScratch,
  FRAG_FIRST,
  FRAG_LATER,
  FRAG_NONE,
  KIND_IP,
  KIND_MALFORMED,
  KIND_NON_IP,
  decodeFrame,
  formatAddress,
  formatIPv6,
  supportedLinkTypes,
} from '../../../electron/shared/decode'
import {
  type Bytes,
  ah,
  ether,
  ext,
  frag6,
  ip6,
  ipv4,
  ipv6,
  nullHeader,
  sll,
  sll2,
  tcp,
  u8,
  udp,
} from './frames'

function decode(linkType: number, frame: Bytes): DecodeScratch {
  const s = new DecodeScratch()
  decodeFrame(linkType, u8(frame), s)
  return s
}

const v4tcp = ipv4(
  tcp({ sport: 40000, dport: 443, seq: 0xfffffff0, ack: 7, flags: 0x12, payload: 100 }),
  {
    src: '192.168.1.10',
    dst: '10.0.0.2',
  },
)
const v6udp = ipv6(17, udp(5353, 53, 30), { src: 'fd77::1', dst: 'fd77::2' })

function expectV4Tcp(s: DecodeScratch): void {
  expect(s.kind).toBe(KIND_IP)
  expect(s.ipVersion).toBe(4)
  expect(s.proto).toBe(6)
  expect(formatAddress(4, s.src)).toBe('192.168.1.10')
  expect(formatAddress(4, s.dst)).toBe('10.0.0.2')
  expect([s.hasPorts, s.srcPort, s.dstPort]).toEqual([true, 40000, 443])
  expect([s.seq, s.ack, s.tcpFlags, s.payloadLen]).toEqual([0xfffffff0, 7, 0x12, 100])
  expect(s.fragment).toBe(FRAG_NONE)
}

function expectV6Udp(s: DecodeScratch): void {
  expect(s.kind).toBe(KIND_IP)
  expect(s.ipVersion).toBe(6)
  expect(s.proto).toBe(17)
  expect(formatAddress(6, s.src)).toBe('fd77::1')
  expect(formatAddress(6, s.dst)).toBe('fd77::2')
  expect([s.srcPort, s.dstPort, s.payloadLen]).toEqual([5353, 53, 30])
}

describe('link layers', () => {
  it('Ethernet II: IPv4 TCP and IPv6 UDP', () => {
    expectV4Tcp(decode(1, ether(0x0800, v4tcp)))
    expectV6Udp(decode(1, ether(0x86dd, v6udp)))
  })

  it('802.1Q, 802.1ad QinQ and legacy 0x9100 tags', () => {
    expectV4Tcp(decode(1, ether(0x0800, v4tcp, [[0x8100, 10]])))
    expectV4Tcp(
      decode(
        1,
        ether(0x0800, v4tcp, [
          [0x88a8, 100],
          [0x8100, 10],
        ]),
      ),
    )
    expectV6Udp(
      decode(
        1,
        ether(0x86dd, v6udp, [
          [0x9100, 100],
          [0x8100, 10],
        ]),
      ),
    )
    const tooMany = ether(
      0x0800,
      v4tcp,
      Array.from({ length: 9 }, () => [0x8100, 1] as [number, number]),
    )
    expect(decode(1, tooMany).reason).toBe('too_many_headers')
  })

  it('Linux cooked SLL and SLL2', () => {
    expectV4Tcp(decode(113, sll(0x0800, v4tcp)))
    expectV6Udp(decode(113, sll(0x86dd, v6udp)))
    expectV4Tcp(decode(276, sll2(0x0800, v4tcp)))
    expectV6Udp(decode(276, sll2(0x86dd, v6udp)))
    expect(decode(276, sll2(0x0806, Array<number>(28).fill(0))).label).toBe('arp')
    expect(decode(113, sll(0x0003, [1, 2, 3])).label).toBe('other')
    const netlink = sll(0x0800, v4tcp)
    netlink[2] = 0x03 // hatype 824 = ARPHRD_NETLINK
    netlink[3] = 0x38
    expect(decode(113, netlink).label).toBe('netlink')
  })

  it('raw IP under LINKTYPE_RAW, DLT_RAW 12/14, IPV4 and IPV6', () => {
    for (const lt of [101, 12, 14]) {
      expectV4Tcp(decode(lt, v4tcp))
      expectV6Udp(decode(lt, v6udp))
    }
    expectV4Tcp(decode(228, v4tcp))
    expectV6Udp(decode(229, v6udp))
    expect(decode(101, [0x50, ...v4tcp.slice(1)]).reason).toBe('bad_ip_version')
    expect(decode(228, v6udp).reason).toBe('bad_ip_version')
  })

  it('BSD NULL and LOOP in either byte order, every AF_INET6 value', () => {
    for (const lt of [0, 108]) {
      for (const le of [true, false]) {
        expectV4Tcp(decode(lt, nullHeader(2, le, v4tcp)))
        for (const af of [24, 28, 30]) expectV6Udp(decode(lt, nullHeader(af, le, v6udp)))
        expect(decode(lt, nullHeader(7, le, [1, 2, 3])).kind).toBe(KIND_NON_IP)
      }
    }
  })

  it('PPP with and without HDLC framing, compressed protocol, PPPoE', () => {
    expectV4Tcp(decode(9, [0xff, 0x03, 0x00, 0x21, ...v4tcp]))
    expectV4Tcp(decode(9, [0x00, 0x21, ...v4tcp]))
    expectV4Tcp(decode(9, [0x21, ...v4tcp]))
    expectV6Udp(decode(50, [0xff, 0x03, 0x00, 0x57, ...v6udp]))
    expect(decode(9, [0xc0, 0x21, 1, 2, 3, 4]).label).toBe('ppp')
    const pppoe = [0x11, 0, 0, 1, 0, v4tcp.length + 2, 0x00, 0x21]
    expectV4Tcp(decode(51, [...pppoe, ...v4tcp]))
    expectV4Tcp(decode(1, ether(0x8864, [...pppoe, ...v4tcp])))
  })

  it('MACsec: clear payload decoded, encrypted payload labelled', () => {
    expectV4Tcp(
      decode(1, ether(0x88e5, [0x20, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 0, 1, 0x08, 0x00, ...v4tcp])),
    )
    expectV4Tcp(decode(1, ether(0x88e5, [0x00, 0, 0, 0, 0, 1, 0x08, 0x00, ...v4tcp])))
    expect(
      decode(1, ether(0x88e5, [0x2c, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 0, 1, 9, 9])).label,
    ).toBe('macsec')
  })

  it('MPLS, SNAP and Cisco HDLC', () => {
    expectV4Tcp(decode(1, ether(0x8847, [0, 1, 0x10, 64, 0, 2, 0x21, 64, ...v4tcp])))
    expectV4Tcp(
      decode(1, ether(v4tcp.length + 8, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...v4tcp])),
    )
    expectV4Tcp(decode(104, [0x0f, 0, 0x08, 0x00, ...v4tcp]))
  })

  it('labels non-IP frames', () => {
    expect(decode(1, ether(0x0806, Array<number>(28).fill(0))).label).toBe('arp')
    expect(decode(1, ether(0x88cc, [1, 2, 3])).label).toBe('lldp')
    expect(decode(1, ether(38, [0x42, 0x42, 0x03, 0, 0, 0]))).toMatchObject({
      kind: KIND_NON_IP,
      label: 'stp',
    })
    expect(decode(1, ether(0x1234, [1]))).toMatchObject({ kind: KIND_NON_IP, label: 'other' })
  })

  it('lists the link types it decodes', () => {
    expect(supportedLinkTypes()).toEqual([
      0, 1, 9, 12, 14, 50, 51, 101, 104, 108, 113, 228, 229, 276,
    ])
  })
})

describe('IPv4', () => {
  it('honours IHL with options', () => {
    const s = decode(101, ipv4(udp(1, 2, 5), { ihl: 28, proto: 17 }))
    expect([s.kind, s.srcPort, s.dstPort, s.payloadLen]).toEqual([KIND_IP, 1, 2, 5])
  })

  it('takes the TCP payload from the IP total length, not the captured length (snaplen)', () => {
    const full = ether(0x0800, v4tcp)
    const s = decode(1, full.slice(0, 14 + 20 + 20)) // headers only, as with a small snaplen
    expectV4Tcp(s)
  })

  it('treats IP length 0 (TSO, BIG TCP) as the rest of the frame on the wire', () => {
    const s = decode(101, ipv4(tcp({ payload: 30 }), { totalLength: 0 }))
    expect([s.kind, s.payloadLen]).toEqual([KIND_IP, 30])
    const big = new DecodeScratch()
    decodeFrame(
      1,
      u8(ether(0x0800, ipv4(tcp({ payload: 30 }), { totalLength: 0 })).slice(0, 54)),
      big,
      65_000,
    )
    expect([big.kind, big.payloadLen]).toEqual([KIND_IP, 65_000 - 54])
    const big6 = new DecodeScratch()
    decodeFrame(
      229,
      u8(ipv6(6, tcp({ payload: 30 }), { payloadLength: 0 }).slice(0, 60)),
      big6,
      70_000,
    )
    expect([big6.kind, big6.payloadLen]).toEqual([KIND_IP, 70_000 - 60])
  })

  it('fragments: ports from the first only', () => {
    const first = decode(101, ipv4(udp(7, 9, 100).slice(0, 24), { proto: 17, mf: true, id: 77 }))
    expect(first).toMatchObject({
      kind: KIND_IP,
      fragment: FRAG_FIRST,
      hasPorts: true,
      srcPort: 7,
      dstPort: 9,
      fragId: 77,
    })
    const later = decode(101, ipv4(Array<number>(84).fill(0), { proto: 17, fragOffset: 3, id: 77 }))
    expect(later).toMatchObject({
      kind: KIND_IP,
      fragment: FRAG_LATER,
      hasPorts: false,
      proto: 17,
      fragId: 77,
    })
    const last = decode(101, ipv4([1, 2, 3], { proto: 17, fragOffset: 13, mf: false }))
    expect(last.fragment).toBe(FRAG_LATER)
  })

  it('ICMP and other protocols have no ports', () => {
    const icmp = decode(101, ipv4([8, 0, 0, 0, 0, 1, 0, 1], { proto: 1 }))
    expect([icmp.kind, icmp.proto, icmp.hasPorts]).toEqual([KIND_IP, 1, false])
    const gre = decode(101, ipv4([0, 0, 0x08, 0], { proto: 47 }))
    expect([gre.kind, gre.proto, gre.hasPorts]).toEqual([KIND_IP, 47, false])
  })

  it('counts malformed headers by reason', () => {
    expect(decode(101, v4tcp.slice(0, 19)).reason).toBe('truncated_ip')
    expect(decode(101, [0x44, ...v4tcp.slice(1)]).reason).toBe('bad_ip_header_length')
    expect(decode(101, [0x4f, ...v4tcp.slice(1, 40)]).reason).toBe('truncated_ip')
    expect(decode(101, ipv4(tcp(), { totalLength: 19 })).reason).toBe('bad_ip_total_length')
    expect(decode(101, ipv4(tcp(), { totalLength: 30 })).reason).toBe('bad_tcp_header_length')
    expect(decode(101, ipv4(tcp({ hlen: 16 }))).reason).toBe('bad_tcp_header_length')
    expect(decode(101, ipv4(tcp(), { totalLength: 60 }).slice(0, 30)).reason).toBe('truncated_tcp')
    expect(decode(101, ipv4(udp(), { proto: 17 }).slice(0, 24)).reason).toBe('truncated_udp')
    expect(decode(101, ipv4(udp(), { proto: 17, totalLength: 26 })).reason).toBe('bad_udp_length')
  })
})

describe('IPv6', () => {
  const t = tcp({ sport: 1, dport: 2, payload: 12 })

  it('walks hop-by-hop, routing, destination options and AH to TCP', () => {
    const s = decode(
      229,
      ipv6(0, [...ext(43, 8), ...ext(60, 24), ...ext(51, 8), ...ah(6, 16), ...t]),
    )
    expect([s.kind, s.proto, s.srcPort, s.dstPort, s.payloadLen]).toEqual([KIND_IP, 6, 1, 2, 12])
  })

  it('stops at ESP and no-next-header', () => {
    expect(decode(229, ipv6(0, [...ext(50, 8), 1, 2, 3, 4]))).toMatchObject({
      kind: KIND_IP,
      proto: 50,
      hasPorts: false,
    })
    expect(decode(229, ipv6(59, []))).toMatchObject({ kind: KIND_IP, proto: 59, hasPorts: false })
  })

  it('fragments: ports from the first only', () => {
    const first = decode(229, ipv6(44, [...frag6(17, 0, true, 5), ...udp(7, 9, 100).slice(0, 16)]))
    expect(first).toMatchObject({ fragment: FRAG_FIRST, hasPorts: true, srcPort: 7, fragId: 5 })
    const later = decode(229, ipv6(0, [...ext(44), ...frag6(17, 2, false, 5), 1, 2, 3, 4]))
    expect(later).toMatchObject({
      kind: KIND_IP,
      fragment: FRAG_LATER,
      hasPorts: false,
      proto: 17,
      fragId: 5,
    })
  })

  it('ICMPv6', () => {
    expect(decode(229, ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1]))).toMatchObject({
      kind: KIND_IP,
      proto: 58,
      hasPorts: false,
    })
  })

  it('rejects bad extension headers', () => {
    expect(decode(229, ipv6(0, [...ext(6, 16)], { payloadLength: 8 })).reason).toBe('bad_ipv6_ext')
    expect(decode(229, ipv6(0, [6])).reason).toBe('truncated_ipv6_ext')
    const loop = ipv6(0, Array.from({ length: 20 }, () => ext(0)).flat())
    expect(decode(229, loop).reason).toBe('too_many_headers')
  })
})

describe('robustness', () => {
  const frames: [number, Bytes][] = [
    [
      1,
      ether(0x0800, v4tcp, [
        [0x88a8, 1],
        [0x8100, 2],
      ]),
    ],
    [1, ether(0x86dd, ipv6(0, [...ext(44), ...frag6(6, 0, true), ...t6()]))],
    [113, sll(0x86dd, v6udp)],
    [276, sll2(0x0800, v4tcp)],
    [0, nullHeader(30, true, v6udp)],
    [108, nullHeader(2, false, v4tcp)],
    [9, [0xff, 0x03, 0x00, 0x21, ...v4tcp]],
    [51, [0x11, 0, 0, 1, 0, 0, 0x00, 0x57, ...v6udp]],
    [104, [0x0f, 0, 0x86, 0xdd, ...v6udp]],
    [101, v4tcp],
  ]
  function t6(): Bytes {
    return tcp({ payload: 4 })
  }

  it('never throws on any truncation, and a frame cut inside its headers is malformed', () => {
    const s = new DecodeScratch()
    for (const [lt, frame] of frames) {
      const full = decodeFrame(lt, u8(frame), s)
      expect(full).toBe(KIND_IP)
      for (let cut = 0; cut < frame.length; cut++) {
        const kind = decodeFrame(lt, u8(frame.slice(0, cut)), s)
        expect([KIND_IP, KIND_MALFORMED], `link type ${lt} cut at ${cut}`).toContain(kind)
        if (kind === KIND_MALFORMED) expect(s.reason).toMatch(/^[a-z0-9_]+$/)
      }
    }
  })
})

describe('address text', () => {
  it('formats IPv6 per RFC 5952', () => {
    const f = (a: string): string => {
      const b = ip6(a)
      const w = [0, 1, 2, 3].map(
        (i) =>
          ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0,
      )
      return formatIPv6(w)
    }
    expect(f('fd77:0:0:0:0:0:0:1')).toBe('fd77::1')
    expect(f('0:0:0:0:0:0:0:0')).toBe('::')
    expect(f('0:0:0:0:0:0:0:1')).toBe('::1')
    expect(f('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1')
    expect(f('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1')
    expect(f('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1')
    expect(f('fe80:0:0:0:186d:e1ff:feac:8f16')).toBe('fe80::186d:e1ff:feac:8f16')
    expect(f('0:0:0:0:0:ffff:a00:1')).toBe('::ffff:10.0.0.1')
    expect(f('ff02:0:0:0:0:1:ff00:2')).toBe('ff02::1:ff00:2')
  })
})
