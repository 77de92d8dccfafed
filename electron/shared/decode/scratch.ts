/**
 * The one reused result struct the decoders write into, so decoding a frame allocates nothing.
 * Only the fields relevant to `kind` are meaningful after a decode.
 */

/** Decoded an IPv4/IPv6 packet: ipVersion, proto, addresses, ports, TCP fields are set. */
export const KIND_IP = 1
/** A frame that carries no IP (ARP, LLDP, STP...): `label` names it. */
export const KIND_NON_IP = 2
/** Could not decode: `reason` names why. */
export const KIND_MALFORMED = 3

export const FRAG_NONE = 0
/** First fragment of a fragmented datagram (offset 0, more-fragments set): ports are present. */
export const FRAG_FIRST = 1
/** Non-first fragment: no transport header, ports unknown. */
export const FRAG_LATER = 2

export const TCP_FIN = 0x01
export const TCP_SYN = 0x02
export const TCP_RST = 0x04
export const TCP_PSH = 0x08
export const TCP_ACK = 0x10

export const IPPROTO_ICMP = 1
export const IPPROTO_TCP = 6
export const IPPROTO_UDP = 17
export const IPPROTO_ICMPV6 = 58

/** Malformed-frame reasons (keys of CaptureSnapshot.malformed). */
export const R_TRUNCATED_LINK = 'truncated_link'
export const R_TOO_MANY_HEADERS = 'too_many_headers'
export const R_TRUNCATED_IP = 'truncated_ip'
export const R_BAD_IP_VERSION = 'bad_ip_version'
export const R_BAD_IP_HEADER_LENGTH = 'bad_ip_header_length'
export const R_BAD_IP_TOTAL_LENGTH = 'bad_ip_total_length'
export const R_TRUNCATED_IPV6_EXT = 'truncated_ipv6_ext'
export const R_BAD_IPV6_EXT = 'bad_ipv6_ext'
export const R_TRUNCATED_TCP = 'truncated_tcp'
export const R_BAD_TCP_HEADER_LENGTH = 'bad_tcp_header_length'
export const R_TRUNCATED_UDP = 'truncated_udp'
export const R_BAD_UDP_LENGTH = 'bad_udp_length'

export class DecodeScratch {
  kind = 0
  /** 4 or 6. */
  ipVersion = 0
  /** IP protocol number of the transport (after IPv6 extension headers). */
  proto = 0
  /** Source / destination address as big-endian 32-bit words; IPv4 uses word 0, rest 0. */
  readonly src = new Uint32Array(4)
  readonly dst = new Uint32Array(4)
  /** IP-layer length: IPv4 total length, IPv6 payload length + 40 (RFC 7012 octetDeltaCount). */
  ipLen = 0
  hasPorts = false
  srcPort = 0
  dstPort = 0
  /** TCP only: flags byte, sequence / acknowledgement numbers; payload bytes from IP length. */
  tcpFlags = 0
  seq = 0
  ack = 0
  /** TCP receive window field as sent (unscaled). */
  window = 0
  payloadLen = 0
  /** FRAG_NONE | FRAG_FIRST | FRAG_LATER, and the datagram's identification field. */
  fragment = FRAG_NONE
  fragId = 0
  /** Non-IP label (KIND_NON_IP). */
  label = ''
  /** Malformed reason (KIND_MALFORMED). */
  reason = ''
  /** Input: bytes of the frame beyond the captured ones (orig_len - caplen), set by decodeFrame. */
  uncaptured = 0
}

export function malformed(s: DecodeScratch, reason: string): number {
  s.reason = reason
  s.kind = KIND_MALFORMED
  return KIND_MALFORMED
}

export function nonIp(s: DecodeScratch, label: string): number {
  s.label = label
  s.kind = KIND_NON_IP
  return KIND_NON_IP
}

export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!
}

export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0
}
