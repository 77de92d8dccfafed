/**
 * The two templates each protocol sends (IPv4 flows, IPv6 flows) as (field id, length, value)
 * lists. IPFIX uses IANA information elements (RFC 7012); NetFlow v9 the field types of RFC
 * 3954 section 8, whose times are sysUptime-relative (FIRST_SWITCHED / LAST_SWITCHED).
 */
export const TEMPLATE_V4 = 256
export const TEMPLATE_V6 = 257

/** What a field holds; the encoder writes it from a FlowRecord. */
export const enum Value {
  SrcAddr,
  DstAddr,
  SrcPort,
  DstPort,
  Proto,
  TcpFlags,
  Octets,
  Packets,
  StartMs,
  EndMs,
  StartUptime,
  EndUptime,
  EndReason,
  Ingress,
}

export interface Field {
  id: number
  length: number
  value: Value
}

export interface Template {
  id: number
  fields: Field[]
  /** Bytes per data record. */
  recordLength: number
}

function template(id: number, fields: [number, number, Value][]): Template {
  const list = fields.map(([fid, length, value]) => ({ id: fid, length, value }))
  return { id, fields: list, recordLength: list.reduce((n, f) => n + f.length, 0) }
}

function both(
  v4: [number, number, Value][],
  v6: [number, number, Value][],
  rest: [number, number, Value][],
) {
  return [template(TEMPLATE_V4, [...v4, ...rest]), template(TEMPLATE_V6, [...v6, ...rest])] as const
}

/** IPFIX: sourceIPv4Address 8, destinationIPv4Address 12, sourceIPv6Address 27, ... */
export const IPFIX_TEMPLATES = both(
  [
    [8, 4, Value.SrcAddr],
    [12, 4, Value.DstAddr],
  ],
  [
    [27, 16, Value.SrcAddr],
    [28, 16, Value.DstAddr],
  ],
  [
    [7, 2, Value.SrcPort], // sourceTransportPort
    [11, 2, Value.DstPort], // destinationTransportPort
    [4, 1, Value.Proto], // protocolIdentifier
    [6, 2, Value.TcpFlags], // tcpControlBits (RFC 7125: 2 octets)
    [1, 8, Value.Octets], // octetDeltaCount
    [2, 8, Value.Packets], // packetDeltaCount
    [152, 8, Value.StartMs], // flowStartMilliseconds
    [153, 8, Value.EndMs], // flowEndMilliseconds
    [136, 1, Value.EndReason], // flowEndReason
    [10, 4, Value.Ingress], // ingressInterface
  ],
)

/** NetFlow v9: IPV4_SRC_ADDR 8, IPV4_DST_ADDR 12, IPV6_SRC_ADDR 27, IPV6_DST_ADDR 28, ... */
export const NFV9_TEMPLATES = both(
  [
    [8, 4, Value.SrcAddr],
    [12, 4, Value.DstAddr],
  ],
  [
    [27, 16, Value.SrcAddr],
    [28, 16, Value.DstAddr],
  ],
  [
    [7, 2, Value.SrcPort], // L4_SRC_PORT
    [11, 2, Value.DstPort], // L4_DST_PORT
    [4, 1, Value.Proto], // PROTOCOL
    [6, 1, Value.TcpFlags], // TCP_FLAGS
    [1, 8, Value.Octets], // IN_BYTES
    [2, 8, Value.Packets], // IN_PKTS
    [22, 4, Value.StartUptime], // FIRST_SWITCHED
    [21, 4, Value.EndUptime], // LAST_SWITCHED
    [10, 4, Value.Ingress], // INPUT_SNMP
  ],
)
