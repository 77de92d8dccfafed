/**
 * Passive TCP analysis per conversation, following Wireshark's sequence analysis
 * (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number) for the verdicts we report:
 *
 * A segment that carries sequence space (payload, SYN or FIN) is, in Wireshark's order:
 * - a keep-alive (≤ 1 byte at nextseq − 1, no SYN/FIN/RST): nothing;
 * - a spurious retransmission if all its bytes were already acknowledged by the other side;
 * - a fast retransmission if it starts below nextseq, at the sequence the other side has sent
 *   ≥ 2 duplicate ACKs for, within 20 ms of the last of them;
 * - out-of-order if it starts below nextseq within the connection's first RTT (SYN to the first
 *   ACK; 3 ms if unknown) of the segment that last advanced nextseq, and does not end at nextseq;
 * - else a retransmission if it starts below nextseq (the highest seq + len seen in its
 *   direction, 32-bit wrap-aware).
 * `retransmissions` counts retransmission + fast + spurious (each is a tcp.analysis.retransmission
 * in Wireshark); out-of-order is counted apart. Zero-window probes (1 byte at nextseq while the
 * peer's window is 0) do not advance nextseq.
 *
 * Handshake RTT: capture time from the first SYN (without ACK) to the first SYN/ACK in the
 * opposite direction, in milliseconds (Wireshark's ack_rtt of the SYN/ACK).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/scratch'

/** Wireshark: a fast retransmission follows the last duplicate ACK within 20 ms. */
const FAST_RETRANSMISSION_US = 20_000
/** Wireshark's out-of-order window when the handshake was not seen. */
const DEFAULT_OOO_US = 3_000

/** Sequence state of one direction. -1 = not seen yet. */
export class TcpDirection {
  /** Highest seq + len (+1 for SYN/FIN) seen, and when it last advanced. */
  nextSeq = -1
  nextSeqUs = 0
  /** Last ack number and receive window sent in this direction, and when. */
  lastAck = -1
  lastAckUs = 0
  window = -1
  /** Consecutive duplicate ACKs sent in this direction. */
  dupAcks = 0
}

export class TcpState {
  readonly ab = new TcpDirection()
  readonly ba = new TcpDirection()
  retransmissions = 0
  outOfOrder = 0
  /** First SYN (for the handshake RTT) and its direction. */
  synUs = -1
  synDir = 0
  handshakeRttMs: number | null = null
  /** Wireshark's first RTT (latest SYN to the first ACK), the out-of-order window. */
  private mruSynUs = -1
  private firstRttUs = -1

  /** One TCP segment in direction dir (0 = A→B). */
  segment(
    dir: number,
    flags: number,
    seq: number,
    ack: number,
    window: number,
    payloadLen: number,
    tsUs: number,
  ): void {
    const fwd = dir === 0 ? this.ab : this.ba
    const rev = dir === 0 ? this.ba : this.ab

    if (flags & TCP_SYN) {
      if (!(flags & TCP_ACK)) {
        if (this.synUs < 0) {
          this.synUs = tsUs
          this.synDir = dir
        }
        this.mruSynUs = tsUs
      } else if (
        this.handshakeRttMs === null &&
        this.synUs >= 0 &&
        dir !== this.synDir &&
        tsUs >= this.synUs
      ) {
        this.handshakeRttMs = (tsUs - this.synUs) / 1000
      }
    } else if (flags & TCP_ACK && this.mruSynUs >= 0 && this.firstRttUs <= 0) {
      this.firstRttUs = tsUs - this.mruSynUs
    }

    const synFin = flags & (TCP_SYN | TCP_FIN) ? 1 : 0
    const known = fwd.nextSeq >= 0
    let keepAlive = false
    let zeroWindowProbe = false
    if (payloadLen === 1 && known && seq === fwd.nextSeq && rev.window === 0) {
      zeroWindowProbe = true
    } else {
      const control = flags & (TCP_SYN | TCP_FIN | TCP_RST)
      keepAlive = payloadLen <= 1 && !control && known && seq === (fwd.nextSeq - 1) >>> 0
      if (
        payloadLen === 0 &&
        !control &&
        window !== 0 &&
        window === fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck
      ) {
        fwd.dupAcks++
      }
    }
    if (ack !== fwd.lastAck) fwd.dupAcks = 0

    if ((payloadLen > 0 || synFin) && !keepAlive) {
      let behind = known && ((seq - fwd.nextSeq) | 0) < 0
      // More data right after a zero-window probe's byte is new data, not a retransmission.
      if (payloadLen > 1 && known && seq === (fwd.nextSeq - 1) >>> 0) behind = false
      const ooUs = this.firstRttUs > 0 ? this.firstRttUs : DEFAULT_OOO_US
      if (payloadLen > 0 && rev.lastAck > 0 && ((seq + payloadLen - rev.lastAck) | 0) <= 0) {
        this.retransmissions++ // spurious: already acknowledged
      } else if (behind) {
        if (
          rev.dupAcks >= 2 &&
          rev.lastAck === seq &&
          tsUs - rev.lastAckUs < FAST_RETRANSMISSION_US
        ) {
          this.retransmissions++ // fast retransmission
        } else if (
          tsUs - fwd.nextSeqUs < ooUs &&
          fwd.nextSeq !== (seq + payloadLen + synFin) >>> 0
        ) {
          this.outOfOrder++
        } else {
          this.retransmissions++
        }
      }
    }

    const end = (seq + payloadLen + synFin) >>> 0
    if (!zeroWindowProbe && (!known || ((end - fwd.nextSeq) | 0) > 0)) {
      fwd.nextSeq = end
      fwd.nextSeqUs = tsUs
    }
    fwd.window = window
    fwd.lastAck = ack
    fwd.lastAckUs = tsUs
  }
}
