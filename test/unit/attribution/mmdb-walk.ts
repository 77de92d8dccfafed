/**
 * A small, independent MaxMind DB reader for tests (search tree walk + data decoder, from the
 * MaxMind DB format spec), so country answers are checked without the library under test.
 */
export class MmdbWalk {
  private readonly nodeCount: number
  private readonly recordSize: number
  private readonly dataStart: number
  readonly metadata: Record<string, unknown>

  constructor(private readonly buf: Buffer) {
    const marker = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1')
    const at = buf.lastIndexOf(marker)
    if (at < 0) throw new Error('no MaxMind DB metadata')
    this.metadata = this.decode(at + marker.length, 0)[0] as Record<string, unknown>
    this.nodeCount = Number(this.metadata.node_count)
    this.recordSize = Number(this.metadata.record_size)
    this.dataStart = (this.recordSize * 2 * this.nodeCount) / 8 + 16
  }

  private record(node: number, bit: number): number {
    const b = this.buf
    if (this.recordSize === 24) return b.readUIntBE(node * 6 + bit * 3, 3)
    if (this.recordSize === 32) return b.readUInt32BE(node * 8 + bit * 4)
    const o = node * 7
    return bit === 0
      ? ((b[o + 3]! >> 4) << 24) | b.readUIntBE(o, 3)
      : ((b[o + 3]! & 0x0f) << 24) | b.readUIntBE(o + 4, 3)
  }

  /** Looks up the address given as 16 bytes (IPv4 as ::a.b.c.d, as the spec's IPv6 trees hold it). */
  lookup(bytes: Uint8Array): unknown {
    let node = 0
    for (let i = 0; i < 128 && node < this.nodeCount; i++) {
      node = this.record(node, (bytes[i >> 3]! >> (7 - (i & 7))) & 1)
    }
    if (node === this.nodeCount) return null
    return this.decode(this.dataStart + (node - this.nodeCount - 16), this.dataStart)[0]
  }

  private decode(o: number, base: number): [unknown, number] {
    const b = this.buf
    const ctrl = b[o++]!
    let type = ctrl >> 5
    if (type === 1) {
      const ss = (ctrl >> 3) & 3
      const v = ctrl & 7
      let p: number
      if (ss === 0) p = (v << 8) | b[o]!
      else if (ss === 1) p = ((v << 16) | b.readUInt16BE(o)) + 2048
      else if (ss === 2) p = ((v << 24) | b.readUIntBE(o, 3)) + 526336
      else p = b.readUInt32BE(o)
      return [this.decode(base + p, base)[0], o + ss + 1]
    }
    if (type === 0) type = 7 + b[o++]!
    let size = ctrl & 0x1f
    if (size === 29) size = 29 + b[o++]!
    else if (size === 30) {
      size = 285 + b.readUInt16BE(o)
      o += 2
    } else if (size === 31) {
      size = 65821 + b.readUIntBE(o, 3)
      o += 3
    }
    const uint = () => {
      let n = 0n
      for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(b[o + i]!)
      return n
    }
    switch (type) {
      case 2:
        return [b.toString('utf8', o, o + size), o + size]
      case 3:
        return [b.readDoubleBE(o), o + 8]
      case 5:
      case 6:
      case 8:
        return [Number(uint()), o + size]
      case 9:
      case 10:
        return [uint(), o + size]
      case 14:
        return [size !== 0, o]
      case 15:
        return [b.readFloatBE(o), o + 4]
      case 7: {
        const m: Record<string, unknown> = {}
        for (let i = 0; i < size; i++) {
          const [k, o1] = this.decode(o, base)
          const [v, o2] = this.decode(o1, base)
          m[k as string] = v
          o = o2
        }
        return [m, o]
      }
      case 11: {
        const a: unknown[] = []
        for (let i = 0; i < size; i++) {
          const [v, o1] = this.decode(o, base)
          a.push(v)
          o = o1
        }
        return [a, o]
      }
      default:
        return [b.subarray(o, o + size), o + size]
    }
  }
}
