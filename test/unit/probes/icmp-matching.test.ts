import { describe, expect, it } from 'vitest'
import type { IcmpAddon, IcmpReply } from '../../../electron/workers/probe/icmp-addon'
import { IcmpProber, IcmpService } from '../../../electron/workers/probe/probers/icmp'

/** A fake fsp_icmp: records sends; the test delivers replies when it wants. */
function fakeAddon() {
  const sent: { address: string; seq: number; payload: Buffer; at_us: number }[] = []
  let deliver: (r: IcmpReply[]) => void = () => {}
  let now_us = 1_000_000
  const addon: Pick<IcmpAddon, 'IcmpSocket'> = {
    IcmpSocket: class {
      readonly kind = 'raw' as const
      readonly ident = 7
      readonly timestamps = 'ns' as const
      constructor(_f: 4 | 6, _m: string, on: (r: IcmpReply[]) => void) {
        deliver = on
      }
      send(address: string, seq: number, payload: Buffer) {
        sent.push({ address, seq, payload: Buffer.from(payload), at_us: now_us })
        return now_us
      }
      close() {}
    },
  }
  const reply = (
    i: number,
    rx_after_ms: number,
    from = sent[i]!.address,
    payload = sent[i]!.payload,
  ) =>
    deliver([
      {
        from,
        seq: sent[i]!.seq,
        rx_us: sent[i]!.at_us + rx_after_ms * 1000,
        kernel_ts: true,
        payload,
      },
    ])
  return { addon, sent, reply, tick: (ms: number) => (now_us += ms * 1000) }
}

describe('ICMP reply matching', () => {
  it('matches by wire seq, session and source; counts late and duplicate replies per target', async () => {
    const f = fakeAddon()
    const service = new IcmpService('auto', () => f.addon)
    const a = new IcmpProber(service, '10.0.0.1', 4)
    const b = new IcmpProber(service, '10.0.0.2', 4)
    const pa0 = a.probe(0, 1000)
    const pb0 = b.probe(0, 1000)
    const pa1 = a.probe(1, 30)
    expect(new Set(f.sent.map((s) => s.seq)).size).toBe(3) // unique wire seqs on the shared socket

    f.reply(1, 5, '10.0.0.99') // right seq, wrong source: ignored
    const foreign = Buffer.from(f.sent[1]!.payload)
    foreign.writeUInt32BE(0xdeadbeef, 4)
    f.reply(1, 5, '10.0.0.2', foreign) // another pinger's session: ignored
    f.reply(1, 12.5) // b's reply
    f.reply(0, 20.25) // a's reply
    f.reply(0, 21) // duplicate of a's
    expect(await pb0).toMatchObject({ status: 'ok', rtt_ms: 12.5 })
    expect(await pa0).toMatchObject({ status: 'ok', rtt_ms: 20.25 })
    expect(await pa1).toMatchObject({ status: 'timeout', rtt_ms: null })
    f.reply(2, 40) // after its 30 ms timeout: late
    expect(a.counters).toEqual({ late: 1, duplicates: 1 })
    expect(b.counters).toEqual({ late: 0, duplicates: 0 })
    service.close()
  })

  it('reports a send failure as an error outcome', async () => {
    const f = fakeAddon()
    f.addon.IcmpSocket.prototype.send = () => {
      throw Object.assign(new Error('sendto: No route to host'), { code: 'EHOSTUNREACH' })
    }
    const service = new IcmpService('auto', () => f.addon)
    const o = await new IcmpProber(service, '10.0.0.1', 4).probe(0, 100)
    expect(o).toMatchObject({ status: 'error', error: 'EHOSTUNREACH', rtt_ms: null })
    service.close()
  })
})
