/**
 * Maps IP non-first fragments to the ports of their datagram's first fragment, so a
 * fragmented UDP/TCP datagram counts wholly in its 5-tuple conversation (every fragment's
 * bytes; see flows/README.md for how this differs from tshark). Fragments are rare, so this
 * path may allocate (a string key per fragment). Bounded: at most MAX_ENTRIES datagrams,
 * each remembered for REASSEMBLY_TIMEOUT_US (Linux's ipfrag_time is 30 s).
 */
import { type DecodeScratch, FRAG_FIRST, FRAG_LATER } from '../decode/scratch'

const MAX_ENTRIES = 4096
const REASSEMBLY_TIMEOUT_US = 30e6

interface Entry {
  srcPort: number
  dstPort: number
  expiresUs: number
}

export class FragmentMap {
  private readonly entries = new Map<string, Entry>()

  /**
   * For a first fragment, remember its ports. For a later one, restore the ports if the first
   * was seen (s.hasPorts = true), otherwise leave it portless (an address-pair conversation).
   */
  resolve(s: DecodeScratch, tsUs: number): void {
    if (s.fragment === FRAG_FIRST) {
      if (!s.hasPorts) return
      const key = keyOf(s)
      this.entries.delete(key)
      this.entries.set(key, {
        srcPort: s.srcPort,
        dstPort: s.dstPort,
        expiresUs: tsUs + REASSEMBLY_TIMEOUT_US,
      })
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!)
    } else if (s.fragment === FRAG_LATER) {
      const e = this.entries.get(keyOf(s))
      if (e === undefined || e.expiresUs < tsUs) return
      if (s.proto !== 6 && s.proto !== 17) return
      s.hasPorts = true
      s.srcPort = e.srcPort
      s.dstPort = e.dstPort
    }
  }
}

function keyOf(s: DecodeScratch): string {
  const a = s.src
  const b = s.dst
  return `${s.ipVersion},${s.proto},${s.fragId},${a[0]},${a[1]},${a[2]},${a[3]},${b[0]},${b[1]},${b[2]},${b[3]}`
}
