/**
 * Link-layer decoders: find the IP header under each supported link type and hand it to
 * ip.ts. One entry point, decodeFrame(), dispatching on the pcap LINKTYPE_ number.
 */
import { decodeIPv4, decodeIPv6 } from './ip'
import {
  LINKTYPE_C_HDLC,
  LINKTYPE_DLT_RAW_12,
  LINKTYPE_DLT_RAW_14,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
} from './linktypes'
import {
  DecodeScratch,
  R_BAD_IP_VERSION,
  R_TOO_MANY_HEADERS,
  R_TRUNCATED_IP,
  R_TRUNCATED_LINK,
  malformed,
  nonIp,
  u16,
} from './scratch'

/** Linux cooked captures of netlink sockets (nlmon): the protocol field is a netlink family. */
const ARPHRD_NETLINK = 824

/** VLAN tags / MPLS labels / SNAP headers we are willing to walk through in one frame. */
const MAX_LINK_HEADERS = 8

/**
 * Decode one frame of the given link type into s. Returns s.kind: KIND_IP, KIND_NON_IP or
 * KIND_MALFORMED. Never throws for any bytes. An unsupported link type yields KIND_NON_IP
 * 'other' (callers check isSupportedLinkType up front). wireLen (orig_len, default the captured
 * length) only matters when an IP header leaves its length to the NIC (0).
 */
export function decodeFrame(
  linkType: number,
  d: Uint8Array,
  s: DecodeScratch,
  wireLen = d.length,
): number {
  const n = d.length
  s.uncaptured = wireLen > n ? wireLen - n : 0
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (n < 14) return malformed(s, R_TRUNCATED_LINK)
      return decodeEtherType(u16(d, 12), d, 14, n, s)
    case LINKTYPE_LINUX_SLL:
      // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
      if (n < 16) return malformed(s, R_TRUNCATED_LINK)
      if (u16(d, 2) === ARPHRD_NETLINK) return nonIp(s, 'netlink')
      return decodeSllProtocol(u16(d, 14), d, 16, n, s)
    case LINKTYPE_LINUX_SLL2:
      // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
      if (n < 20) return malformed(s, R_TRUNCATED_LINK)
      if (u16(d, 8) === ARPHRD_NETLINK) return nonIp(s, 'netlink')
      return decodeSllProtocol(u16(d, 0), d, 20, n, s)
    case LINKTYPE_RAW:
    case LINKTYPE_DLT_RAW_12:
    case LINKTYPE_DLT_RAW_14:
      return decodeRawIp(d, 0, n, s)
    case LINKTYPE_IPV4:
      return decodeIPv4(d, 0, n, s)
    case LINKTYPE_IPV6:
      return decodeIPv6(d, 0, n, s)
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeNull(d, n, s)
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC:
      return decodePpp(d, n, s)
    case LINKTYPE_PPP_ETHER:
      // PPPoE session header (6) then the PPP protocol field.
      if (n < 8) return malformed(s, R_TRUNCATED_LINK)
      return decodePppProtocol(u16(d, 6), d, 8, n, s)
    case LINKTYPE_C_HDLC:
      if (n < 4) return malformed(s, R_TRUNCATED_LINK)
      return decodeEtherType(u16(d, 2), d, 4, n, s)
    default:
      return nonIp(s, 'other')
  }
}

function decodeRawIp(d: Uint8Array, o: number, n: number, s: DecodeScratch): number {
  if (n - o < 1) return malformed(s, R_TRUNCATED_IP)
  const v = d[o]! >> 4
  if (v === 4) return decodeIPv4(d, o, n, s)
  if (v === 6) return decodeIPv6(d, o, n, s)
  return malformed(s, R_BAD_IP_VERSION)
}

/** Ethertype t with its payload at offset o: IP, VLAN tags, PPPoE, MPLS, 802.3/LLC/SNAP. */
function decodeEtherType(t: number, d: Uint8Array, o: number, n: number, s: DecodeScratch): number {
  for (let i = 0; i < MAX_LINK_HEADERS; i++) {
    if (t === 0x0800) return decodeIPv4(d, o, n, s)
    if (t === 0x86dd) return decodeIPv6(d, o, n, s)
    if (t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200) {
      // 802.1Q / 802.1ad / legacy QinQ tag: TCI(2) then the inner ethertype.
      if (n - o < 4) return malformed(s, R_TRUNCATED_LINK)
      t = u16(d, o + 2)
      o += 4
    } else if (t <= 1500) {
      // 802.3 length field: an LLC header follows.
      if (n - o < 3) return malformed(s, R_TRUNCATED_LINK)
      if (d[o] === 0xaa && d[o + 1] === 0xaa && d[o + 2] === 0x03) {
        if (n - o < 8) return malformed(s, R_TRUNCATED_LINK)
        t = u16(d, o + 6) // SNAP: OUI(3) + ethertype
        o += 8
      } else {
        return nonIp(s, d[o] === 0x42 ? 'stp' : 'llc')
      }
    } else if (t === 0x8864) {
      // PPPoE session: ver/type, code, session id, length, then PPP protocol.
      if (n - o < 8) return malformed(s, R_TRUNCATED_LINK)
      return decodePppProtocol(u16(d, o + 6), d, o + 8, n, s)
    } else if (t === 0x8847 || t === 0x8848) {
      return decodeMpls(d, o, n, s)
    } else if (t === 0x88e5) {
      // MACsec SecTAG: TCI/AN, short length, packet number, SCI if the SC bit is set. With
      // the E or C bit the payload is encrypted/modified: count it as MACsec.
      if (n - o < 6) return malformed(s, R_TRUNCATED_LINK)
      const tci = d[o]!
      if (tci & 0x0c) return nonIp(s, 'macsec')
      o += tci & 0x20 ? 14 : 6
      if (n - o < 2) return malformed(s, R_TRUNCATED_LINK)
      t = u16(d, o)
      o += 2
    } else {
      return nonIp(s, etherLabel(t))
    }
  }
  return malformed(s, R_TOO_MANY_HEADERS)
}

function etherLabel(t: number): string {
  switch (t) {
    case 0x0806:
      return 'arp'
    case 0x8035:
      return 'rarp'
    case 0x88cc:
      return 'lldp'
    case 0x888e:
      return 'eapol'
    case 0x8863:
      return 'pppoe_discovery'
    case 0x8809:
      return 'slow_protocols'
    case 0x88f7:
      return 'ptp'
    case 0x8137:
      return 'ipx'
    default:
      return 'other'
  }
}

/** MPLS label stack, then guess IPv4/IPv6 from the version nibble (as tcpdump does). */
function decodeMpls(d: Uint8Array, o: number, n: number, s: DecodeScratch): number {
  for (let i = 0; i < MAX_LINK_HEADERS; i++) {
    if (n - o < 4) return malformed(s, R_TRUNCATED_LINK)
    const bottom = d[o + 2]! & 1
    o += 4
    if (bottom) {
      if (n - o < 1) return malformed(s, R_TRUNCATED_LINK)
      const v = d[o]! >> 4
      if (v === 4) return decodeIPv4(d, o, n, s)
      if (v === 6) return decodeIPv6(d, o, n, s)
      return nonIp(s, 'mpls')
    }
  }
  return malformed(s, R_TOO_MANY_HEADERS)
}

/** Linux cooked capture protocol field: an ethertype, or an ARPHRD-specific small value. */
function decodeSllProtocol(
  t: number,
  d: Uint8Array,
  o: number,
  n: number,
  s: DecodeScratch,
): number {
  if (t >= 0x0600) return decodeEtherType(t, d, o, n, s)
  if (t === 0x0004) return decodeEtherType(0, d, o, n, s) // 802.2 LLC frame (0 = length form)
  return nonIp(s, 'other')
}

/**
 * BSD loopback: a 4-byte address family, host byte order for NULL, network for LOOP; accept
 * either order (files move between machines). AF_INET = 2; AF_INET6 = 24 (NetBSD/OpenBSD),
 * 28 (FreeBSD), 30 (macOS).
 */
function decodeNull(d: Uint8Array, n: number, s: DecodeScratch): number {
  if (n < 4) return malformed(s, R_TRUNCATED_LINK)
  let af = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0
  if (af > 0xffff) af = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0
  if (af === 2) return decodeIPv4(d, 4, n, s)
  if (af === 24 || af === 28 || af === 30) return decodeIPv6(d, 4, n, s)
  return nonIp(s, 'other')
}

/** PPP with or without HDLC address/control (ff 03), protocol field 1 or 2 bytes. */
function decodePpp(d: Uint8Array, n: number, s: DecodeScratch): number {
  let o = 0
  if (d[0] === 0xff) {
    // HDLC all-stations address (never a valid protocol byte); control 0x03 follows.
    if (n < 2) return malformed(s, R_TRUNCATED_LINK)
    if (d[1] === 0x03) o = 2
  }
  if (n - o < 1) return malformed(s, R_TRUNCATED_LINK)
  if (d[o]! & 1) return decodePppProtocol(d[o]!, d, o + 1, n, s) // compressed protocol field
  if (n - o < 2) return malformed(s, R_TRUNCATED_LINK)
  return decodePppProtocol(u16(d, o), d, o + 2, n, s)
}

function decodePppProtocol(
  p: number,
  d: Uint8Array,
  o: number,
  n: number,
  s: DecodeScratch,
): number {
  if (p === 0x0021) return decodeIPv4(d, o, n, s)
  if (p === 0x0057) return decodeIPv6(d, o, n, s)
  if (p === 0x0281) return decodeMpls(d, o, n, s)
  return nonIp(s, 'ppp')
}
