import type { ConversationRecord } from '../../../common/capture'

const zeroRates = { s2: 0, s10: 0, s40: 0 }

/** A conversation record with sensible defaults; tests override what they check. */
export function conversation(overrides: Partial<ConversationRecord> = {}): ConversationRecord {
  return {
    protocol: 'tcp',
    address_a: '10.0.0.1',
    port_a: 40000,
    address_b: '10.0.0.2',
    port_b: 443,
    packets_a_to_b: 10,
    bytes_a_to_b: 1000,
    packets_b_to_a: 8,
    bytes_b_to_a: 8000,
    first_seen_us: Date.UTC(2026, 10, 26, 7, 15, 8) * 1000 + 123456,
    last_seen_us: Date.UTC(2026, 10, 26, 7, 15, 10) * 1000 + 1,
    retransmissions: 0,
    handshake_rtt_ms: 0.25,
    rate_a_to_b_bps: zeroRates,
    rate_b_to_a_bps: zeroRates,
    peak_a_to_b_bps: 0,
    peak_b_to_a_bps: 0,
    ...overrides,
  }
}
