/** One uniflow record: one direction of a flow over one export interval. */
export interface FlowRecord {
  /** 4 or 6. */
  ipVersion: number
  /** Address words as DecodeScratch keeps them (big-endian 32-bit; IPv4 in word 0). */
  src: Uint32Array
  dst: Uint32Array
  /** 0 for protocols without ports. */
  srcPort: number
  dstPort: number
  proto: number
  /** IP-layer bytes (IPv4 total length, IPv6 payload length + 40). */
  octets: number
  packets: number
  /** OR of the TCP flags of the packets (0 for other protocols). */
  tcpFlags: number
  /** First and last packet, ms since the epoch. */
  startMs: number
  endMs: number
  /** RFC 7012 flowEndReason. */
  endReason: number
}

/** flowEndReason (IANA IE 136). */
export const END_IDLE = 0x01
export const END_ACTIVE = 0x02
export const END_OF_FLOW = 0x03
export const END_FORCED = 0x04
export const END_LACK_OF_RESOURCES = 0x05
