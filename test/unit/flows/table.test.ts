import { describe, expect, it } from 'vitest'
import { Flow } from '../../../electron/shared/flows/flow'
import { FlowTable, KEY_WORDS, hashKey } from '../../../electron/shared/flows/table'

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
