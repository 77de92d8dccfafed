/**
 * AS number and organisation by address, from the range table `scripts/build-asn-table.mjs`
 * compiles at build time (format described there). Loading is one file read and a few typed
 * array views; a lookup is a binary search.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ParsedIp } from './ip'
import { compare6 } from './ip'

export interface AsnInfo {
  asn: number
  org: string
}

const GAP = 0xffffffff

export class AsnTable {
  readonly source: string
  private readonly v4Starts: Uint32Array
  private readonly v4Nets: Uint32Array
  private readonly v6Starts: Uint32Array
  private readonly v6Nets: Uint32Array
  private readonly asns: Uint32Array
  private readonly orgOffsets: Uint32Array
  private readonly orgText: Uint8Array
  private readonly decoder = new TextDecoder()

  constructor(bytes: Uint8Array) {
    const magic = Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1')
    if (magic !== 'FSASN001') throw new Error('not a Flowscope ASN table (bad magic)')
    // Typed-array views need a 4-byte aligned start: copy only if the bytes do not own theirs.
    let buf = bytes.buffer as ArrayBuffer
    if (bytes.byteOffset !== 0 || bytes.byteLength !== buf.byteLength) {
      buf = new ArrayBuffer(bytes.length)
      new Uint8Array(buf).set(bytes)
    }
    const head = new Uint32Array(buf, 8, 5)
    const [v4, v6, nets, orgLen, srcLen] = head as unknown as [
      number,
      number,
      number,
      number,
      number,
    ]
    let o = 28
    this.source = this.decoder.decode(new Uint8Array(buf, o, srcLen))
    o += (srcLen + 3) & ~3
    const u32 = (n: number) => {
      const a = new Uint32Array(buf, o, n)
      o += n * 4
      return a
    }
    this.v4Starts = u32(v4)
    this.v4Nets = u32(v4)
    this.v6Starts = u32(v6 * 4)
    this.v6Nets = u32(v6)
    this.asns = u32(nets)
    this.orgOffsets = u32(nets + 1)
    this.orgText = new Uint8Array(buf, o, orgLen)
    if (o + orgLen !== bytes.length) throw new Error('ASN table is truncated or damaged')
  }

  get ranges(): { v4: number; v6: number } {
    return { v4: this.v4Starts.length, v6: this.v6Nets.length }
  }

  private network(i: number): AsnInfo | null {
    if (i === GAP) return null
    const org = this.decoder.decode(
      this.orgText.subarray(this.orgOffsets[i]!, this.orgOffsets[i + 1]!),
    )
    return { asn: this.asns[i]!, org }
  }

  lookup(ip: ParsedIp): AsnInfo | null {
    if (ip.v === 4) {
      // Last range starting at or below the address.
      let lo = 0
      let hi = this.v4Starts.length - 1
      if (hi < 0 || this.v4Starts[0]! > ip.n) return null
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1
        if (this.v4Starts[mid]! <= ip.n) lo = mid
        else hi = mid - 1
      }
      return this.network(this.v4Nets[lo]!)
    }
    let lo = 0
    let hi = this.v6Nets.length - 1
    if (hi < 0 || compare6(this.v6Starts, 0, ip.w) > 0) return null
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (compare6(this.v6Starts, mid * 4, ip.w) <= 0) lo = mid
      else hi = mid - 1
    }
    return this.network(this.v6Nets[lo]!)
  }
}

/**
 * Where the built table is: $FLOWSCOPE_ASN_TABLE, else `data/asn.bin` beside the bundle
 * (out/main -> out/data) or `out/data/asn.bin` above the source tree (tests run from source).
 */
export function findAsnTable(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.FLOWSCOPE_ASN_TABLE) return env.FLOWSCOPE_ASN_TABLE
  let dir = __dirname
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'data', 'asn.bin'), join(dir, 'out', 'data', 'asn.bin')])
      if (existsSync(candidate)) return candidate
    dir = dirname(dir)
  }
  return null
}

export function loadAsnTable(path: string): AsnTable {
  return new AsnTable(readFileSync(path))
}
