/**
 * IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) messages from uniflow records: MTU-bounded, one
 * data set per template, templates at the start of a session and again when the refresh
 * interval (time or messages) is due. Sequence numbers per RFC: IPFIX counts data records sent
 * before the message, NetFlow v9 counts export packets.
 */
import { Value, type Template, IPFIX_TEMPLATES, NFV9_TEMPLATES } from './fields'
import type { FlowRecord } from './record'

export type ExportProtocol = 'ipfix' | 'netflow9'

export interface EncoderOptions {
  /** Observation domain id (IPFIX) / source id (NetFlow v9). */
  domainId: number
  /** Largest message in bytes (header included). */
  maxMessageBytes: number
  /** Resend templates after this many ms / messages; 0 = never (TCP sends them once per session). */
  templateRefreshMs: number
  templateRefreshMessages: number
  /** ingressInterface / INPUT_SNMP written in every record. */
  ingressInterface: number
}

const TWO32 = 4294967296

/** A dialect: header size and writer, template set id, what one sequence step counts. */
interface Dialect {
  headerLength: number
  templateSetId: number
  templates: readonly Template[]
  pad4: boolean
}

const IPFIX: Dialect = {
  headerLength: 16,
  templateSetId: 2,
  templates: IPFIX_TEMPLATES,
  pad4: false,
}
const NFV9: Dialect = { headerLength: 20, templateSetId: 0, templates: NFV9_TEMPLATES, pad4: true }

export class MessageEncoder {
  private readonly d: Dialect
  /** IPFIX: data records sent; NetFlow v9: export packets sent (both modulo 2^32). */
  private sequence = 0
  private templatesSent = false
  private lastTemplateMs = 0
  private messagesSinceTemplate = 0
  /** NetFlow v9 sysUptime origin (ms since the epoch); set from the first export time. */
  private bootMs = -1

  constructor(
    readonly protocol: ExportProtocol,
    private readonly o: EncoderOptions,
  ) {
    this.d = protocol === 'ipfix' ? IPFIX : NFV9
    const smallest =
      this.d.headerLength + 4 + 3 + Math.max(...this.d.templates.map((t) => t.recordLength))
    if (o.maxMessageBytes < smallest + this.templateSetLength())
      throw new RangeError(
        `maxMessageBytes ${o.maxMessageBytes} is too small for a template and a record`,
      )
  }

  /** NetFlow v9 uptime origin: no packet of the capture may be older. */
  setBoot(ms: number): void {
    if (this.bootMs < 0) this.bootMs = Math.floor(ms)
  }

  /** New transport session (TCP reconnect): sequence from 0, templates first. */
  restart(): void {
    this.sequence = 0
    this.templatesSent = false
    this.messagesSinceTemplate = 0
  }

  /** A template-only message if templates are due (start, refresh), else null. */
  refresh(nowMs: number): Buffer | null {
    if (!this.templatesDue(nowMs)) return null
    return this.encode([], nowMs)[0] ?? null
  }

  private templatesDue(nowMs: number): boolean {
    if (!this.templatesSent) return true
    const o = this.o
    return (
      (o.templateRefreshMs > 0 && nowMs - this.lastTemplateMs >= o.templateRefreshMs) ||
      (o.templateRefreshMessages > 0 && this.messagesSinceTemplate >= o.templateRefreshMessages)
    )
  }

  private templateSetLength(): number {
    let n = 4
    for (const t of this.d.templates) n += 4 + 4 * t.fields.length
    return n
  }

  /** Messages carrying every record (none if there are no records and templates are not due). */
  encode(records: readonly FlowRecord[], nowMs: number): Buffer[] {
    this.setBoot(nowMs)
    const out: Buffer[] = []
    const d = this.d
    const max = this.o.maxMessageBytes
    let i = 0
    // Records grouped by template, IPv4 first: fewer set headers.
    const v4 = records.filter((r) => r.ipVersion === 4)
    const v6 = records.filter((r) => r.ipVersion !== 4)
    const lists: [Template, FlowRecord[]][] = [
      [d.templates[0]!, v4],
      [d.templates[1]!, v6],
    ]
    let li = 0
    while (li < lists.length && i >= lists[li]![1].length) {
      li++
      i = 0
    }
    while (li < lists.length || (out.length === 0 && this.templatesDue(nowMs))) {
      const buf = Buffer.alloc(max)
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
      let p = d.headerLength
      let count = 0
      let dataRecords = 0
      if (this.templatesDue(nowMs)) {
        p = this.writeTemplates(view, p)
        count += d.templates.length
        this.templatesSent = true
        this.lastTemplateMs = nowMs
        this.messagesSinceTemplate = 0
      }
      // Data sets while records and room remain.
      while (li < lists.length) {
        const [t, list] = lists[li]!
        if (max - p < 4 + t.recordLength + (d.pad4 ? 3 : 0)) break
        const setStart = p
        p += 4
        while (i < list.length && max - p >= t.recordLength + (d.pad4 ? 3 : 0)) {
          p = this.writeRecord(view, p, t, list[i]!)
          i++
          dataRecords++
        }
        if (d.pad4) while ((p - setStart) % 4 !== 0) view.setUint8(p++, 0)
        view.setUint16(setStart, t.id)
        view.setUint16(setStart + 2, p - setStart)
        if (i < list.length) break // message full
        li++
        i = 0
        while (li < lists.length && lists[li]![1].length === 0) li++
      }
      count += dataRecords
      this.writeHeader(view, p, count, dataRecords, nowMs)
      this.messagesSinceTemplate++
      out.push(buf.subarray(0, p))
    }
    return out
  }

  private writeTemplates(view: DataView, p: number): number {
    const start = p
    view.setUint16(p, this.d.templateSetId)
    p += 4
    for (const t of this.d.templates) {
      view.setUint16(p, t.id)
      view.setUint16(p + 2, t.fields.length)
      p += 4
      for (const f of t.fields) {
        view.setUint16(p, f.id)
        view.setUint16(p + 2, f.length)
        p += 4
      }
    }
    view.setUint16(start + 2, p - start)
    return p
  }

  private writeHeader(view: DataView, length: number, count: number, data: number, nowMs: number) {
    const secs = Math.floor(nowMs / 1000)
    if (this.protocol === 'ipfix') {
      view.setUint16(0, 10)
      view.setUint16(2, length)
      view.setUint32(4, secs >>> 0)
      view.setUint32(8, this.sequence >>> 0)
      view.setUint32(12, this.o.domainId >>> 0)
      this.sequence = (this.sequence + data) % TWO32
    } else {
      view.setUint16(0, 9)
      view.setUint16(2, count)
      // sysUptime at the header's whole second, so unix_secs * 1000 - sysUptime is exactly the
      // boot time and collectors recover each FIRST/LAST_SWITCHED to the millisecond.
      view.setUint32(4, this.uptime(secs * 1000))
      view.setUint32(8, secs >>> 0)
      view.setUint32(12, this.sequence >>> 0)
      view.setUint32(16, this.o.domainId >>> 0)
      this.sequence = (this.sequence + 1) % TWO32
    }
  }

  private uptime(ms: number): number {
    return Math.max(0, Math.floor(ms) - this.bootMs) % TWO32
  }

  private writeRecord(view: DataView, p: number, t: Template, r: FlowRecord): number {
    for (const f of t.fields) {
      switch (f.value) {
        case Value.SrcAddr:
          p = writeAddr(view, p, r.src, f.length)
          break
        case Value.DstAddr:
          p = writeAddr(view, p, r.dst, f.length)
          break
        case Value.SrcPort:
          view.setUint16(p, r.srcPort)
          p += 2
          break
        case Value.DstPort:
          view.setUint16(p, r.dstPort)
          p += 2
          break
        case Value.Proto:
          view.setUint8(p++, r.proto)
          break
        case Value.TcpFlags:
          if (f.length === 2) {
            view.setUint16(p, r.tcpFlags & 0xfff)
            p += 2
          } else view.setUint8(p++, r.tcpFlags & 0xff)
          break
        case Value.Octets:
          p = writeU64(view, p, r.octets)
          break
        case Value.Packets:
          p = writeU64(view, p, r.packets)
          break
        case Value.StartMs:
          p = writeU64(view, p, r.startMs)
          break
        case Value.EndMs:
          p = writeU64(view, p, r.endMs)
          break
        case Value.StartUptime:
          view.setUint32(p, this.uptime(r.startMs))
          p += 4
          break
        case Value.EndUptime:
          view.setUint32(p, this.uptime(r.endMs))
          p += 4
          break
        case Value.EndReason:
          view.setUint8(p++, r.endReason)
          break
        case Value.Ingress:
          view.setUint32(p, this.o.ingressInterface >>> 0)
          p += 4
          break
      }
    }
    return p
  }
}

function writeU64(view: DataView, p: number, n: number): number {
  const v = n > 0 ? Math.floor(n) : 0
  view.setUint32(p, Math.floor(v / TWO32) >>> 0)
  view.setUint32(p + 4, v % TWO32)
  return p + 8
}

function writeAddr(view: DataView, p: number, words: Uint32Array, length: number): number {
  for (let k = 0; k < length / 4; k++) view.setUint32(p + 4 * k, words[k]!)
  return p + length
}
