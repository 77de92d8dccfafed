import type { CaptureTick } from '../../../common/contract'

/** A capture tick with the given cumulative counts (one TCP conversation carrying `retrans`). */
export function captureTick(
  iface: string,
  time_s: number,
  n: {
    received: number
    dropped: number
    packets: number
    malformed: number
    evicted: number
    retrans: number
  },
): CaptureTick {
  return {
    iface,
    skipped: 0,
    health: { received: n.received, dropped_kernel: n.dropped, dropped_interface: 1 },
    snapshot: {
      time_us: time_s * 1e6,
      start_us: 0,
      link_type: 1,
      link_type_name: 'EN10MB',
      packets: n.packets,
      bytes: n.packets * 100,
      by_protocol: { tcp: { packets: n.packets, bytes: n.packets * 100 } },
      rates_bps: { s2: 0, s10: 0, s40: 0 },
      peak_bps: 0,
      malformed: {},
      malformed_total: n.malformed,
      flows_active: 3,
      flows_evicted: n.evicted,
      flows_expired: 0,
      conversations: [
        {
          protocol: 'tcp',
          address_a: '10.0.0.1',
          port_a: 1000,
          address_b: '10.0.0.2',
          port_b: 80,
          packets_a_to_b: n.packets,
          bytes_a_to_b: n.packets * 100,
          packets_b_to_a: 0,
          bytes_b_to_a: 0,
          first_seen_us: 1,
          last_seen_us: time_s * 1e6,
          retransmissions: n.retrans,
          handshake_rtt_ms: null,
          rate_a_to_b_bps: { s2: 0, s10: 0, s40: 0 },
          rate_b_to_a_bps: { s2: 0, s10: 0, s40: 0 },
          peak_a_to_b_bps: 0,
          peak_b_to_a_bps: 0,
        },
      ],
    },
  }
}

/** `name{labels} value` lines of an exposition, as a map from the line's series to its value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

/** Metric family names declared (# TYPE) in an exposition, with their types. */
export function families(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!)
  return out
}
