import { describe, expect, it, vi } from 'vitest'
import { Flow } from '../../../electron/shared/flows/flow'
import {
  FlowTable,
  KEY_WORDS,
  hashKey,
  newHashSecret,
  type HashSecret,
} from '../../../electron/shared/flows/table'

function keyOf(id: number): Uint32Array {
  const k = new Uint32Array(KEY_WORDS)
  k[0] = 6 | (4 << 8)
  k[1] = 0x0a000000 + (id % 97)
  k[5] = 0x0a010000 + Math.floor(id / 97)
  k[9] = id * 2654435761
  return k
}

describe('FlowTable', () => {
  it('agrees with a Map through random inserts, removals and LRU touches', () => {
    let seed = 7
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      return seed % n
    }
    const cap = 64
    const table = new FlowTable(cap)
    const ref = new Map<number, Flow>()
    const order: number[] = [] // reference LRU, oldest first
    for (let step = 0; step < 20_000; step++) {
      const id = rnd(300)
      const k = keyOf(id)
      const h = hashKey(k)
      const found = table.find(k, h)
      expect(found, `step ${step} id ${id}`).toBe(ref.get(id) ?? null)
      const op = rnd(3)
      if (found && op === 0) {
        table.remove(found)
        ref.delete(id)
        order.splice(order.indexOf(id), 1)
      } else if (found) {
        table.touch(found)
        order.splice(order.indexOf(id), 1)
        order.push(id)
      } else {
        if (table.size === cap) {
          const oldest = order.shift()!
          expect(table.head).toBe(ref.get(oldest))
          table.remove(table.head!)
          ref.delete(oldest)
        }
        const f = new Flow('tcp', true, 'a', 1, 'b', 2, 0, 0)
        table.insert(f, k, h)
        ref.set(id, f)
        order.push(id)
      }
      expect(table.size).toBe(ref.size)
    }
    // Every live flow still reachable, in LRU order.
    expect([...table]).toEqual(order.map((id) => ref.get(id)))
    for (const [id, f] of ref) expect(table.find(keyOf(id), hashKey(keyOf(id)))).toBe(f)
  })
})

describe('flow key hashing', () => {
  it('is keyed per process: a fresh module instance hashes the same key differently', async () => {
    const k = keyOf(12345)
    const hashes = new Set<number>([hashKey(k)])
    for (let i = 0; i < 3; i++) {
      vi.resetModules()
      const fresh = await import('../../../electron/shared/flows/table')
      hashes.add(fresh.hashKey(k))
    }
    expect(hashes.size).toBe(4)
  })

  it('spreads keys crafted to collide under a known (fixed) key', () => {
    // The attacker's view before the fix: a hash whose key is known. Find 200 5-tuples that
    // share one home bucket of a 1024-flow table (index mask 2047) by brute force.
    const known: HashSecret = { seed: 0x9747b28c, words: new Uint32Array(KEY_WORDS) }
    const mask = 2047
    const crafted: Uint32Array[] = []
    for (let port = 0; crafted.length < 200; port++) {
      const k = new Uint32Array(KEY_WORDS)
      k[0] = 17 | (4 << 8) | (1 << 12)
      k[1] = 0xc0a80001
      k[5] = 0x0a000001
      k[9] = port // source/destination ports: the sender picks them freely
      if ((hashKey(k, known) & mask) === 0x2a) crafted.push(k)
    }
    expect(new Set(crafted.map((k) => hashKey(k, known) & mask)).size).toBe(1)
    // Under this process's secret they scatter like random keys (~190 distinct of 200).
    const homes = new Set(crafted.map((k) => hashKey(k) & mask))
    expect(homes.size).toBeGreaterThan(170)
    // And the table still finds every one of them.
    const table = new FlowTable(1024)
    const flows = crafted.map((k) => {
      const f = new Flow('udp', true, 'a', 1, 'b', 2, 0, 0)
      table.insert(f, k, hashKey(k))
      return f
    })
    crafted.forEach((k, i) => expect(table.find(k, hashKey(k))).toBe(flows[i]))
  })

  it('differs between secrets that differ only in one key word', () => {
    const a = newHashSecret()
    const b: HashSecret = { seed: a.seed, words: a.words.slice() }
    b.words[3]! ^= 1
    let same = 0
    for (let id = 0; id < 1000; id++) if (hashKey(keyOf(id), a) === hashKey(keyOf(id), b)) same++
    expect(same).toBeLessThan(5)
  })
})
