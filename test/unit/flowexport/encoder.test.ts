/**
 * IPFIX / NetFlow v9 messages decoded by a reader written from the RFCs (decode.ts): header
 * fields, templates, record values, MTU bound, sequence numbers and template refresh.
 */
import { describe, expect, it } from 'vitest'
import { MessageEncoder, type ExportProtocol } from '../../../electron/shared/flowexport/encoder'
import type { FlowRecord } from '../../../electron/shared/flowexport/record'
import { decodeMessage, type Templates } from './decode'

const T0 = 1_700_000_000_123 // ms

function rec(i: number, v6 = false): FlowRecord {
  return {
    ipVersion: v6 ? 6 : 4,
    src: v6 ? Uint32Array.of(0xfd000000, 0, 0, i) : Uint32Array.of(0x0a000000 + i, 0, 0, 0),
    dst: v6 ? Uint32Array.of(0xfd000000, 0, 0, 0xffff) : Uint32Array.of(0xc0a80101, 0, 0, 0),
    srcPort: 40000 + i,
    dstPort: 443,
    proto: 6,
    octets: 2 ** 40 + i, // beyond 32 bits
    packets: 10 + i,
    tcpFlags: 0x1b,
    startMs: T0 + i,
    endMs: T0 + 5000 + i,
    endReason: 2,
  }
}

function encoder(protocol: ExportProtocol, refreshMs = 0, refreshMessages = 0) {
  const e = new MessageEncoder(protocol, {
    domainId: 4242,
    maxMessageBytes: 1452,
    templateRefreshMs: refreshMs,
    templateRefreshMessages: refreshMessages,
    ingressInterface: 7,
  })
  e.setBoot(T0 - 60_000)
  return e
}

describe('MessageEncoder', () => {
  it('IPFIX: header, templates and every IE of v4 and v6 records', () => {
    const t: Templates = new Map()
    const msgs = encoder('ipfix').encode([rec(1), rec(2, true)], T0 + 9000)
    expect(msgs).toHaveLength(1)
    const m = decodeMessage(msgs[0]!, t)
    expect(m).toMatchObject({ version: 10, length: msgs[0]!.length, sequence: 0, domain: 4242 })
    expect(m.exportSecs).toBe(Math.floor((T0 + 9000) / 1000))
    expect(m.setIds).toEqual([2, 256, 257])
    expect(m.templates.map((x) => x.id)).toEqual([256, 257])
    const [a, b] = m.records
    expect(Object.fromEntries(a!)).toEqual({
      8: '10.0.0.1',
      12: '192.168.1.1',
      7: 40001,
      11: 443,
      4: 6,
      6: 0x1b,
      1: 2 ** 40 + 1,
      2: 11,
      152: T0 + 1,
      153: T0 + 5001,
      136: 2,
      10: 7,
    })
    expect(b!.get(27)).toBe('fd00:0:0:0:0:0:0:2')
    expect(b!.get(28)).toBe('fd00:0:0:0:0:0:0:ffff')
  })

  it('NetFlow v9: count, sysUptime and FIRST/LAST_SWITCHED give the times to the ms', () => {
    const t: Templates = new Map()
    const now = T0 + 9876
    const [buf] = encoder('netflow9').encode([rec(3)], now)
    const m = decodeMessage(buf!, t)
    expect(m).toMatchObject({ version: 9, count: 3, sequence: 0, domain: 4242 })
    expect(m.setIds).toEqual([0, 256])
    expect(buf!.length % 4).toBe(0) // flowsets padded to 4 bytes
    const r = m.records[0]!
    const boot = m.exportSecs * 1000 - m.uptime!
    expect(boot + (r.get(22) as number)).toBe(T0 + 3)
    expect(boot + (r.get(21) as number)).toBe(T0 + 5003)
    expect(r.get(1)).toBe(2 ** 40 + 3)
    expect(r.get(6)).toBe(0x1b)
    expect(r.get(10)).toBe(7)
  })

  for (const protocol of ['ipfix', 'netflow9'] as const) {
    it(`${protocol}: MTU-bounded messages carry every record; sequence numbers per RFC`, () => {
      const t: Templates = new Map()
      const e = encoder(protocol)
      const records = Array.from({ length: 1000 }, (_, i) => rec(i, i % 3 === 0))
      const msgs = [...e.encode(records, T0), ...e.encode(records.slice(0, 10), T0 + 1)]
      let seen = 0
      let prevSeq = -1
      for (const [k, buf] of msgs.entries()) {
        expect(buf.length).toBeLessThanOrEqual(1452)
        const m = decodeMessage(buf, t)
        if (protocol === 'ipfix')
          expect(m.sequence).toBe(seen) // data records before this one
        else {
          expect(m.sequence).toBe(k) // export packets before this one
          expect(m.count).toBe(m.records.length + m.templates.length)
        }
        expect(m.sequence).toBeGreaterThan(prevSeq)
        prevSeq = m.sequence
        seen += m.records.length
        expect(m.templates.length > 0).toBe(k === 0) // no refresh configured: once
      }
      expect(seen).toBe(1010)
      expect(msgs.length).toBeGreaterThan(30)
    })

    it(`${protocol}: templates refreshed by message count and by time; restart resends`, () => {
      const t: Templates = new Map()
      const e = encoder(protocol, 10_000, 3)
      const withTemplates: number[] = []
      for (let k = 0; k < 8; k++) {
        const [buf] = e.encode([rec(k)], T0 + k * 100)
        if (decodeMessage(buf!, t).templates.length) withTemplates.push(k)
      }
      expect(withTemplates).toEqual([0, 3, 6])
      expect(e.refresh(T0 + 800)).toBeNull() // not due
      const late = e.refresh(T0 + 800 + 10_000)
      expect(late && decodeMessage(late, t).templates.length).toBe(2)
      e.restart()
      const [again] = e.encode([rec(1)], T0 + 20_001)
      const m = decodeMessage(again!, t)
      expect(m.templates.length).toBe(2)
      expect(m.sequence).toBe(0)
    })
  }
})
