/**
 * Test-only pcap / pcapng reader (the product reads files through node-pcap). Reads the whole
 * file; yields every record with its interface's link type. Stops quietly at a truncated
 * record, which is what the malformed corpus files need.
 */
import { readFileSync } from 'node:fs'

export interface PcapRecord {
  linkType: number
  tsUs: number
  data: Uint8Array
  wireLen: number
}

export interface PcapFile {
  /** Link type of the first interface (pcap: the file's). */
  linkType: number
  records: PcapRecord[]
}

export function readPcapFile(path: string): PcapFile {
  const buf = readFileSync(path)
  const d = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength)
  if (d.length < 4) throw new Error('not a pcap file')
  const magicLE = v.getUint32(0, true)
  if (magicLE === 0x0a0d0d0a) return readPcapng(d, v)
  let le: boolean
  let nano: boolean
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true
    nano = magicLE === 0xa1b23c4d
  } else {
    const magicBE = v.getUint32(0, false)
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error('not a pcap file')
    le = false
    nano = magicBE === 0xa1b23c4d
  }
  if (d.length < 24) throw new Error('truncated pcap header')
  const linkType = v.getUint32(20, le) & 0x0fffffff
  const records: PcapRecord[] = []
  for (let o = 24; o + 16 <= d.length;) {
    const sec = v.getUint32(o, le)
    const frac = v.getUint32(o + 4, le)
    const incl = v.getUint32(o + 8, le)
    const orig = v.getUint32(o + 12, le)
    if (o + 16 + incl > d.length || incl > 0x4000000) break
    records.push({
      linkType,
      tsUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac),
      data: d.subarray(o + 16, o + 16 + incl),
      wireLen: orig,
    })
    o += 16 + incl
  }
  return { linkType, records }
}

function readPcapng(d: Uint8Array, v: DataView): PcapFile {
  let le = true
  let ifaces: { linkType: number; unitsPerSec: number }[] = []
  const records: PcapRecord[] = []
  for (let o = 0; o + 12 <= d.length;) {
    let type = v.getUint32(o, le)
    if (type === 0x0a0d0d0a) {
      le = v.getUint32(o + 8, true) === 0x1a2b3c4d
      type = 0x0a0d0d0a
      ifaces = []
    }
    const len = v.getUint32(o + 4, le)
    if (len < 12 || o + len > d.length) break
    if (type === 1 && len >= 20) {
      let unitsPerSec = 1e6
      for (let p = o + 16; p + 4 <= o + len - 4;) {
        const code = v.getUint16(p, le)
        const olen = v.getUint16(p + 2, le)
        if (code === 0) break
        if (code === 9 && olen >= 1) {
          const r = d[p + 4]!
          unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r
        }
        p += 4 + ((olen + 3) & ~3)
      }
      ifaces.push({ linkType: v.getUint16(o + 8, le), unitsPerSec })
    } else if (type === 6 && len >= 32) {
      const iface = ifaces[v.getUint32(o + 8, le)]
      const ts = v.getUint32(o + 12, le) * 2 ** 32 + v.getUint32(o + 16, le)
      const cap = v.getUint32(o + 20, le)
      const orig = v.getUint32(o + 24, le)
      if (iface && o + 28 + cap <= o + len) {
        records.push({
          linkType: iface.linkType,
          tsUs: Math.floor((ts / iface.unitsPerSec) * 1e6),
          data: d.subarray(o + 28, o + 28 + cap),
          wireLen: orig,
        })
      }
    } else if (type === 3 && len >= 16) {
      const iface = ifaces[0]
      const orig = v.getUint32(o + 8, le)
      const cap = Math.min(orig, len - 16)
      if (iface)
        records.push({
          linkType: iface.linkType,
          tsUs: 0,
          data: d.subarray(o + 12, o + 12 + cap),
          wireLen: orig,
        })
    }
    o += len
  }
  return { linkType: ifaces[0]?.linkType ?? -1, records }
}
