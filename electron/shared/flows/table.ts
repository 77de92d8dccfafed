/**
 * Bounded flow table: open addressing (linear probing, backward-shift deletion) over compact
 * binary keys held in one Uint32Array, plus an LRU list through the flows themselves.
 * A lookup hashes and compares KEY_WORDS integers; no strings or objects per packet.
 *
 * Key layout (KEY_WORDS 32-bit words): meta (proto | ipVersion << 8 | hasPorts << 12),
 * first endpoint address (4 words), second endpoint address (4 words), ports (first << 16 |
 * second). The endpoints are ordered canonically so both directions share one key.
 */
import { randomFillSync } from 'node:crypto'
import type { Flow } from './flow'

export const KEY_WORDS = 10

/**
 * Why a secret key: the keys are packet fields a remote sender chooses (addresses, ports), and a
 * fixed hash lets it precompute thousands of 5-tuples that land in one bucket, turning every
 * lookup into a linear scan of the run (a flood of such packets stalls the capture worker).
 * A random seed alone is not enough for MurmurHash3: its block function has seed-independent
 * multicollisions (Aumasson, Bernstein, Boßlet, "Hash-flooding DoS reloaded", 2012). So every
 * key word is also XORed with its own secret word before the multiply, which makes the input
 * differences those collisions rely on unknowable. It is not a cryptographic MAC, but nothing
 * here ever reveals a hash value to the sender. Drawn once per process (per module instance).
 *
 * Maps keyed by strings elsewhere in flows/ (fragments, "other" protocol counts) rely on V8's
 * string hash, whose seed V8 randomises per isolate at start-up (and rehashes after loading
 * Node's snapshot), so they are not open to precomputed collisions either.
 */
export interface HashSecret {
  seed: number
  words: Uint32Array
}

export function newHashSecret(): HashSecret {
  const r = randomFillSync(new Uint32Array(KEY_WORDS + 1))
  return { seed: r[KEY_WORDS]!, words: r.subarray(0, KEY_WORDS) }
}

const SECRET = newHashSecret()

/** MurmurHash3 (x86_32) of the key words, keyed by `secret` (this process's, by default). */
export function hashKey(k: Uint32Array, secret: HashSecret = SECRET): number {
  const w = secret.words
  let h = secret.seed | 0
  for (let i = 0; i < KEY_WORDS; i++) {
    let x = Math.imul(k[i]! ^ w[i]!, 0xcc9e2d51)
    x = (x << 15) | (x >>> 17)
    h ^= Math.imul(x, 0x1b873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  h ^= KEY_WORDS * 4
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export class FlowTable {
  readonly capacity: number
  size = 0
  /** Least recently seen flow (eviction/expiry candidate) and most recently seen. */
  head: Flow | null = null
  tail: Flow | null = null
  private readonly keys: Uint32Array
  private readonly flows: (Flow | null)[]
  private readonly freeSlots: Int32Array
  private freeTop: number
  /** Open-addressing index: slot + 1, 0 = empty. */
  private readonly index: Int32Array
  private readonly mask: number

  constructor(capacity: number) {
    this.capacity = capacity
    this.keys = new Uint32Array(capacity * KEY_WORDS)
    this.flows = new Array<Flow | null>(capacity).fill(null)
    this.freeSlots = new Int32Array(capacity)
    for (let i = 0; i < capacity; i++) this.freeSlots[i] = capacity - 1 - i
    this.freeTop = capacity
    let size = 16
    while (size < capacity * 2) size *= 2
    this.index = new Int32Array(size)
    this.mask = size - 1
  }

  find(key: Uint32Array, hash: number): Flow | null {
    const index = this.index
    const keys = this.keys
    const mask = this.mask
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = index[i]!
      if (e === 0) return null
      const slot = e - 1
      const f = this.flows[slot]!
      if (f.hash !== hash) continue
      const base = slot * KEY_WORDS
      let j = 0
      while (j < KEY_WORDS && keys[base + j] === key[j]) j++
      if (j === KEY_WORDS) return f
    }
  }

  /** Insert a flow not in the table; the caller makes room first (size < capacity). */
  insert(f: Flow, key: Uint32Array, hash: number): void {
    const slot = this.freeSlots[--this.freeTop]!
    this.keys.set(key, slot * KEY_WORDS)
    this.flows[slot] = f
    f.slot = slot
    f.hash = hash
    const mask = this.mask
    let i = hash & mask
    while (this.index[i] !== 0) i = (i + 1) & mask
    this.index[i] = slot + 1
    this.size++
    this.linkTail(f)
  }

  remove(f: Flow): void {
    const index = this.index
    const mask = this.mask
    let i = f.hash & mask
    while (index[i] !== f.slot + 1) i = (i + 1) & mask
    // Backward-shift deletion keeps every remaining entry reachable from its home bucket.
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.flows[index[j]! - 1]!.hash & mask
      const stays = i <= j ? i < home && home <= j : i < home || home <= j
      if (stays) continue
      index[i] = index[j]!
      i = j
    }
    index[i] = 0
    this.flows[f.slot] = null
    this.freeSlots[this.freeTop++] = f.slot
    f.slot = -1
    this.size--
    this.unlink(f)
  }

  /** Mark f as the most recently seen. */
  touch(f: Flow): void {
    if (this.tail === f) return
    this.unlink(f)
    this.linkTail(f)
  }

  *[Symbol.iterator](): IterableIterator<Flow> {
    for (let f = this.head; f; f = f.next) yield f
  }

  private linkTail(f: Flow): void {
    f.prev = this.tail
    f.next = null
    if (this.tail) this.tail.next = f
    else this.head = f
    this.tail = f
  }

  private unlink(f: Flow): void {
    if (f.prev) f.prev.next = f.next
    else this.head = f.next
    if (f.next) f.next.prev = f.prev
    else this.tail = f.prev
    f.prev = f.next = null
  }
}
