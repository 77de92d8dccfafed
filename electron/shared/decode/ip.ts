/**
 * IPv4, IPv6 (with extension headers) and the transport headers we read (TCP, UDP; ICMP and
 * ICMPv6 need nothing beyond the IP header). Bounds-checked reads, never throws.
 *
 * Lengths come from the IP header, not from the captured length, so a snap-length-truncated
 * frame whose headers are intact decodes fully (TCP payload = IP length - headers).
 */
import {
  DecodeScratch,
  FRAG_FIRST,
  FRAG_LATER,
  FRAG_NONE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  KIND_IP,
  R_BAD_IPV6_EXT,
  R_BAD_IP_HEADER_LENGTH,
  R_BAD_IP_TOTAL_LENGTH,
  R_BAD_IP_VERSION,
  R_BAD_TCP_HEADER_LENGTH,
  R_BAD_UDP_LENGTH,
  R_TOO_MANY_HEADERS,
  R_TRUNCATED_IP,
  R_TRUNCATED_IPV6_EXT,
  R_TRUNCATED_TCP,
  R_TRUNCATED_UDP,
  malformed,
  u16,
  u32,
} from './scratch'

/** More IPv6 extension headers than any real stack sends: treat as hostile. */
const MAX_IPV6_EXT_HEADERS = 16

/** IPv4 header at offset o of d (captured length n). */
export function decodeIPv4(d: Uint8Array, o: number, n: number, s: DecodeScratch): number {
  if (n - o < 20) return malformed(s, R_TRUNCATED_IP)
  const vihl = d[o]!
  if (vihl >> 4 !== 4) return malformed(s, R_BAD_IP_VERSION)
  const ihl = (vihl & 15) << 2
  if (ihl < 20) return malformed(s, R_BAD_IP_HEADER_LENGTH)
  if (n - o < ihl) return malformed(s, R_TRUNCATED_IP)
  let total = u16(d, o + 2)
  // 0 = length left to the NIC (TSO / BIG TCP seen on the sending host): the rest of the frame.
  if (total === 0) total = n - o + s.uncaptured
  if (total < ihl) return malformed(s, R_BAD_IP_TOTAL_LENGTH)
  const frag = u16(d, o + 6)
  const fragOffset = frag & 0x1fff
  s.ipVersion = 4
  s.ipLen = total
  s.proto = d[o + 9]!
  const src = s.src
  const dst = s.dst
  src[0] = u32(d, o + 12)
  src[1] = src[2] = src[3] = 0
  dst[0] = u32(d, o + 16)
  dst[1] = dst[2] = dst[3] = 0
  s.fragId = u16(d, o + 4)
  if (fragOffset !== 0) {
    s.fragment = FRAG_LATER
    return noTransport(s)
  }
  s.fragment = frag & 0x2000 ? FRAG_FIRST : FRAG_NONE
  return decodeTransport(d, o + ihl, n, total - ihl, s)
}

/** IPv6 header at offset o; walks hop-by-hop, routing, fragment, destination options and AH. */
export function decodeIPv6(d: Uint8Array, o: number, n: number, s: DecodeScratch): number {
  if (n - o < 40) return malformed(s, R_TRUNCATED_IP)
  if (d[o]! >> 4 !== 6) return malformed(s, R_BAD_IP_VERSION)
  // 0 = jumbogram or TSO / BIG TCP: the rest of the frame.
  let left = u16(d, o + 4)
  if (left === 0) left = n - o - 40 + s.uncaptured
  s.ipLen = left + 40
  let nh = d[o + 6]!
  const src = s.src
  const dst = s.dst
  src[0] = u32(d, o + 8)
  src[1] = u32(d, o + 12)
  src[2] = u32(d, o + 16)
  src[3] = u32(d, o + 20)
  dst[0] = u32(d, o + 24)
  dst[1] = u32(d, o + 28)
  dst[2] = u32(d, o + 32)
  dst[3] = u32(d, o + 36)
  s.ipVersion = 6
  s.fragment = FRAG_NONE
  let p = o + 40
  for (let i = 0; ; i++) {
    if (i === MAX_IPV6_EXT_HEADERS) return malformed(s, R_TOO_MANY_HEADERS)
    if (nh === 0 || nh === 43 || nh === 60 || nh === 51) {
      // Hop-by-hop, routing, destination options: (len + 1) * 8 bytes; AH: (len + 2) * 4 bytes.
      if (n - p < 2) return malformed(s, R_TRUNCATED_IPV6_EXT)
      const extLen = nh === 51 ? (d[p + 1]! + 2) << 2 : (d[p + 1]! + 1) << 3
      if (extLen > left) return malformed(s, R_BAD_IPV6_EXT)
      nh = d[p]!
      p += extLen
      left -= extLen
    } else if (nh === 44) {
      if (n - p < 8) return malformed(s, R_TRUNCATED_IPV6_EXT)
      if (left < 8) return malformed(s, R_BAD_IPV6_EXT)
      const offFlags = u16(d, p + 2)
      s.fragId = u32(d, p + 4)
      nh = d[p]!
      p += 8
      left -= 8
      if (offFlags >> 3 !== 0) {
        s.proto = nh
        s.fragment = FRAG_LATER
        return noTransport(s)
      }
      if (offFlags & 1) s.fragment = FRAG_FIRST
    } else {
      break // transport, ESP (50), no next header (59) or unknown: stop here
    }
  }
  s.proto = nh
  return decodeTransport(d, p, n, left, s)
}

function noTransport(s: DecodeScratch): number {
  s.hasPorts = false
  s.tcpFlags = 0
  s.payloadLen = 0
  s.kind = KIND_IP
  return KIND_IP
}

/** Transport header at o; len = its length per the IP header (may exceed what was captured). */
function decodeTransport(
  d: Uint8Array,
  o: number,
  n: number,
  len: number,
  s: DecodeScratch,
): number {
  const proto = s.proto
  if (proto === IPPROTO_TCP) {
    if (len < 20) return malformed(s, R_BAD_TCP_HEADER_LENGTH)
    if (n - o < 20) return malformed(s, R_TRUNCATED_TCP)
    const doff = (d[o + 12]! >> 4) << 2
    if (doff < 20 || doff > len) return malformed(s, R_BAD_TCP_HEADER_LENGTH)
    s.srcPort = u16(d, o)
    s.dstPort = u16(d, o + 2)
    s.seq = u32(d, o + 4)
    s.ack = u32(d, o + 8)
    s.tcpFlags = d[o + 13]!
    s.window = u16(d, o + 14)
    s.payloadLen = len - doff
    s.hasPorts = true
  } else if (proto === IPPROTO_UDP) {
    if (len < 8) return malformed(s, R_BAD_UDP_LENGTH)
    if (n - o < 8) return malformed(s, R_TRUNCATED_UDP)
    s.srcPort = u16(d, o)
    s.dstPort = u16(d, o + 2)
    s.tcpFlags = 0
    s.payloadLen = len - 8
    s.hasPorts = true
  } else {
    s.hasPorts = false
    s.tcpFlags = 0
    s.payloadLen = len
  }
  s.kind = KIND_IP
  return KIND_IP
}
