/** Test-only builders of raw frames, byte by byte, for the decoder and flow tests. */

export type Bytes = number[]

const be16 = (x: number): Bytes => [(x >> 8) & 255, x & 255]
const be32 = (x: number): Bytes => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]

export function ip4(a: string): Bytes {
  return a.split('.').map(Number)
}

/** Expand an IPv6 text address (with at most one ::) to 16 bytes. */
export function ip6(a: string): Bytes {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups =
    tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  return groups.flatMap((g) => be16(parseInt(g, 16)))
}

export interface TcpOpts {
  sport?: number
  dport?: number
  seq?: number
  ack?: number
  flags?: number
  payload?: number
  /** Header length in bytes (default 20). */
  hlen?: number
  /** Receive window field (default 65535). */
  win?: number
}

export function tcp(o: TcpOpts = {}): Bytes {
  const hlen = o.hlen ?? 20
  return [
    ...be16(o.sport ?? 40000),
    ...be16(o.dport ?? 80),
    ...be32(o.seq ?? 1000),
    ...be32(o.ack ?? 0),
    (hlen >> 2) << 4,
    o.flags ?? 0x18,
    ...be16(o.win ?? 65535),
    0,
    0,
    0,
    0,
    ...Array<number>(Math.max(0, hlen - 20)).fill(1),
    ...Array<number>(o.payload ?? 0).fill(0xab),
  ]
}

export function udp(sport = 5000, dport = 53, payload = 10): Bytes {
  return [
    ...be16(sport),
    ...be16(dport),
    ...be16(8 + payload),
    0,
    0,
    ...Array<number>(payload).fill(0xcd),
  ]
}

export interface Ip4Opts {
  src?: string
  dst?: string
  proto?: number
  id?: number
  /** Fragment offset in 8-byte units, and more-fragments flag. */
  fragOffset?: number
  mf?: boolean
  /** IHL in bytes (default 20, options filled with NOPs). */
  ihl?: number
  totalLength?: number
  version?: number
}

export function ipv4(payload: Bytes, o: Ip4Opts = {}): Bytes {
  const ihl = o.ihl ?? 20
  const total = o.totalLength ?? ihl + payload.length
  const frag = ((o.mf ? 0x2000 : 0) | (o.fragOffset ?? 0)) & 0xffff
  return [
    ((o.version ?? 4) << 4) | ((ihl >> 2) & 15),
    0,
    ...be16(total),
    ...be16(o.id ?? 0x1234),
    ...be16(frag),
    64,
    o.proto ?? 6,
    0,
    0,
    ...ip4(o.src ?? '10.0.0.1'),
    ...ip4(o.dst ?? '10.0.0.2'),
    ...Array<number>(Math.max(0, ihl - 20)).fill(1),
    ...payload,
  ]
}

/** IPv6 extension header with next header nh and total length len bytes (multiple of 8). */
export function ext(nh: number, len = 8): Bytes {
  return [nh, len / 8 - 1, ...Array<number>(len - 2).fill(1)]
}
/** Authentication header (length in 4-byte units minus 2). */
export function ah(nh: number, len = 16): Bytes {
  return [nh, len / 4 - 2, ...Array<number>(len - 2).fill(2)]
}
export function frag6(nh: number, offset8: number, more: boolean, id = 0xdeadbeef): Bytes {
  return [nh, 0, ...be16((offset8 << 3) | (more ? 1 : 0)), ...be32(id)]
}

export interface Ip6Opts {
  src?: string
  dst?: string
  payloadLength?: number
}

/** IPv6 header with first next header nh followed by rest (extension headers + transport). */
export function ipv6(nh: number, rest: Bytes, o: Ip6Opts = {}): Bytes {
  return [
    0x60,
    0,
    0,
    0,
    ...be16(o.payloadLength ?? rest.length),
    nh,
    64,
    ...ip6(o.src ?? 'fd00::1'),
    ...ip6(o.dst ?? 'fd00::2'),
    ...rest,
  ]
}

export const MAC_A = [2, 0, 0, 0, 0, 1]
export const MAC_B = [2, 0, 0, 0, 0, 2]

/** Ethernet II with optional tags: each tag is [TPID, VLAN id]. */
export function ether(ethertype: number, payload: Bytes, tags: [number, number][] = []): Bytes {
  return [
    ...MAC_B,
    ...MAC_A,
    ...tags.flatMap(([tpid, vid]) => [...be16(tpid), ...be16(vid)]),
    ...be16(ethertype),
    ...payload,
  ]
}

export function sll(protocol: number, payload: Bytes): Bytes {
  return [0, 0, 0, 1, 0, 6, ...MAC_A, 0, 0, ...be16(protocol), ...payload]
}

export function sll2(protocol: number, payload: Bytes): Bytes {
  return [...be16(protocol), 0, 0, ...be32(2), 0, 1, 0, 6, ...MAC_A, 0, 0, ...payload]
}

export function nullHeader(af: number, littleEndian: boolean, payload: Bytes): Bytes {
  const b = be32(af)
  return [...(littleEndian ? b.reverse() : b), ...payload]
}

export const u8 = (b: Bytes): Uint8Array => Uint8Array.from(b)
