import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import type { ProbeOutcome } from '../prober'
import type { DnsType } from '../../../shared/probes/target'
import { DatagramProber } from './datagram'

/**
 * DNS query time over UDP against one server: each query gets a random unused 16-bit ID and is
 * matched by ID, source and question. Any answer (NXDOMAIN and SERVFAIL too) is a reply.
 */
export class DnsProber extends DatagramProber {
  constructor(
    address: string,
    port: number,
    family: 4 | 6,
    private readonly name: string,
    private readonly qtype: DnsType,
  ) {
    super(address, port, family, 4096)
  }

  probe(_seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    let id = randomInt(0x10000)
    while (this.table.has(id)) id = randomInt(0x10000)
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: this.qtype, name: this.name }],
    })
    return this.exchange(id, () => query, timeout_ms)
  }

  protected match(msg: Buffer): number | null {
    let packet: dnsPacket.Packet
    try {
      packet = dnsPacket.decode(msg)
    } catch {
      return null // not DNS: ignore
    }
    const q = packet.questions?.[0]
    if (packet.type !== 'response' || packet.id === undefined) return null
    if (q && q.name.toLowerCase() !== this.name.toLowerCase()) return null
    return packet.id
  }

  protected override answered(sent_wall_ms: number, rtt_ms: number): ProbeOutcome {
    return { sent_wall_ms, rtt_ms, status: 'ok', phases_ms: { query: rtt_ms } }
  }
}
