/** Writes small pcap / pcapng files byte by byte, so tests control every header field. */

export interface Frame {
  tsUs: number
  data: Uint8Array
  /** Defaults to data.length. */
  wireLen?: number
}

/** Classic pcap, little-endian; nanosecond timestamps with the a1b23c4d magic when `nano`. */
export function pcapFile(
  frames: Frame[],
  linkType = 1,
  { nano = false, snaplen = 65535 } = {},
): Buffer {
  const head = Buffer.alloc(24)
  head.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0)
  head.writeUInt16LE(2, 4)
  head.writeUInt16LE(4, 6)
  head.writeUInt32LE(snaplen, 16)
  head.writeUInt32LE(linkType, 20)
  const parts = [head]
  for (const f of frames) {
    const rec = Buffer.alloc(16)
    const sec = Math.floor(f.tsUs / 1e6)
    const us = f.tsUs - sec * 1e6
    rec.writeUInt32LE(sec, 0)
    rec.writeUInt32LE(nano ? us * 1000 : us, 4)
    rec.writeUInt32LE(f.data.length, 8)
    rec.writeUInt32LE(f.wireLen ?? f.data.length, 12)
    parts.push(rec, Buffer.from(f.data))
  }
  return Buffer.concat(parts)
}

function block(type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)])
  const b = Buffer.alloc(12 + padded.length)
  b.writeUInt32LE(type, 0)
  b.writeUInt32LE(b.length, 4)
  padded.copy(b, 8)
  b.writeUInt32LE(b.length, b.length - 4)
  return b
}

/** pcapng: one section, one interface (µs timestamps), enhanced packet blocks. */
export function pcapngFile(frames: Frame[], linkType = 1): Buffer {
  const shb = Buffer.alloc(16)
  shb.writeUInt32LE(0x1a2b3c4d, 0)
  shb.writeUInt16LE(1, 4)
  shb.writeUInt16LE(0, 6)
  shb.writeBigInt64LE(-1n, 8)
  const idb = Buffer.alloc(8)
  idb.writeUInt16LE(linkType, 0)
  idb.writeUInt32LE(65535, 4)
  const parts = [block(0x0a0d0d0a, shb), block(1, idb)]
  for (const f of frames) {
    const epb = Buffer.alloc(20)
    const ts = BigInt(f.tsUs)
    epb.writeUInt32LE(0, 0)
    epb.writeUInt32LE(Number(ts >> 32n), 4)
    epb.writeUInt32LE(Number(ts & 0xffffffffn), 8)
    epb.writeUInt32LE(f.data.length, 12)
    epb.writeUInt32LE(f.wireLen ?? f.data.length, 16)
    parts.push(block(6, Buffer.concat([epb, Buffer.from(f.data)])))
  }
  return Buffer.concat(parts)
}

/** Ethernet + IPv4 + UDP frame (checksums zero, which decoders and BPF ignore). */
export function udp4(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload = 16,
): Uint8Array {
  const ipLen = 20 + 8 + payload
  const f = Buffer.alloc(14 + ipLen)
  f.writeUInt16BE(0x0800, 12)
  f[14] = 0x45
  f.writeUInt16BE(ipLen, 16)
  f[22] = 64
  f[23] = 17
  src.split('.').forEach((o, i) => (f[26 + i] = Number(o)))
  dst.split('.').forEach((o, i) => (f[30 + i] = Number(o)))
  f.writeUInt16BE(sport, 34)
  f.writeUInt16BE(dport, 36)
  f.writeUInt16BE(8 + payload, 38)
  return f
}

/** Ethernet + IPv4 + TCP frame with the given flags (0x02 SYN, 0x12 SYN/ACK, 0x10 ACK). */
export function tcp4(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  flags = 0x10,
  seq = 1,
  payload = 0,
): Uint8Array {
  const ipLen = 20 + 20 + payload
  const f = Buffer.alloc(14 + ipLen)
  f.writeUInt16BE(0x0800, 12)
  f[14] = 0x45
  f.writeUInt16BE(ipLen, 16)
  f[22] = 64
  f[23] = 6
  src.split('.').forEach((o, i) => (f[26 + i] = Number(o)))
  dst.split('.').forEach((o, i) => (f[30 + i] = Number(o)))
  f.writeUInt16BE(sport, 34)
  f.writeUInt16BE(dport, 36)
  f.writeUInt32BE(seq, 38)
  f[46] = 0x50
  f[47] = flags
  return f
}
