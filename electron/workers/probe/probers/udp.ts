import { randomBytes } from 'node:crypto'
import type { ProbeOutcome } from '../prober'
import { DatagramProber } from './datagram'

/** "FSPU": marks our echo payloads. */
export const UDP_MAGIC = 0x46535055
/** magic u32 | session u32 | seq u32 | send time (hrtime ns) u64 */
export const UDP_PAYLOAD_BYTES = 20

export function encodeEcho(session: number, seq: number, sentNs: bigint): Buffer {
  const b = Buffer.alloc(UDP_PAYLOAD_BYTES)
  b.writeUInt32BE(UDP_MAGIC, 0)
  b.writeUInt32BE(session, 4)
  b.writeUInt32BE(seq >>> 0, 8)
  b.writeBigUInt64BE(sentNs, 12)
  return b
}

export function decodeEcho(b: Buffer): { session: number; seq: number; sentNs: bigint } | null {
  if (b.length < UDP_PAYLOAD_BYTES || b.readUInt32BE(0) !== UDP_MAGIC) return null
  return { session: b.readUInt32BE(4), seq: b.readUInt32BE(8), sentNs: b.readBigUInt64BE(12) }
}

/**
 * RFC 862 echo. Each probe carries a session id, its sequence number and send time; replies are
 * matched by seq (several may be in flight), from the target's address and port only.
 */
export class UdpProber extends DatagramProber {
  private readonly session = randomBytes(4).readUInt32BE(0)

  probe(seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return this.exchange(seq, (start) => encodeEcho(this.session, seq, start), timeout_ms)
  }

  protected match(msg: Buffer): number | null {
    const echo = decodeEcho(msg)
    return echo && echo.session === this.session ? echo.seq : null
  }
}
