/**
 * Passive TCP analysis per conversation, after Wireshark's basic heuristics
 * (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number):
 *
 * - Retransmission: a segment that carries sequence space (payload, SYN or FIN) and starts
 *   before the next expected sequence number of its direction (seq < highest seq + len seen),
 *   unless it is a keep-alive (at most 1 byte at nextseq - 1, no SYN/FIN/RST). Wireshark splits
 *   these into retransmission, fast retransmission, spurious retransmission and out-of-order
 *   (the last when it arrives within one RTT of the segment that advanced nextseq); we count
 *   the first three together and cannot tell out-of-order apart (see flows/README.md).
 * - Handshake RTT: capture time from the first SYN (without ACK) to the first SYN/ACK in the
 *   opposite direction, in milliseconds.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/scratch'
import { DIR_AB, type Flow } from './flow'

export function analyzeTcp(
  f: Flow,
  dir: number,
  flags: number,
  seq: number,
  payloadLen: number,
  tsUs: number,
): void {
  if (flags & TCP_SYN) {
    if (!(flags & TCP_ACK)) {
      if (f.synUs < 0) {
        f.synUs = tsUs
        f.synDir = dir
      }
    } else if (f.handshakeRttMs === null && f.synUs >= 0 && dir !== f.synDir && tsUs >= f.synUs) {
      f.handshakeRttMs = (tsUs - f.synUs) / 1000
    }
  }
  const seglen = payloadLen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)
  if (seglen <= 0) return
  const next = dir === DIR_AB ? f.nextSeqAB : f.nextSeqBA
  const end = (seq + seglen) >>> 0
  if (next >= 0) {
    const behind = (seq - next) | 0 // wrap-aware: negative = seq before next
    if (behind < 0) {
      const keepAlive = seglen <= 1 && behind === -1 && !(flags & (TCP_SYN | TCP_FIN | TCP_RST))
      if (!keepAlive) f.retransmissions++
    }
    if (((end - next) | 0) <= 0) return
  }
  if (dir === DIR_AB) f.nextSeqAB = end
  else f.nextSeqBA = end
}
