/**
 * Every client's Connections view in the capture worker (ViewSet) and the messages that carry
 * them: each distinct view is applied once per tick and its rows go to every client showing it,
 * a new or changed view waits for an early answer, a client left out of the set is gone.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_VIEW, type ConnectionsView, type ViewResult } from '../../../common/capture'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { FlowView } from '../../../electron/shared/flows/view'
import {
  MAX_VIEWS,
  StartMessage,
  TickMessage,
  ToWorker,
} from '../../../electron/shared/protocol/capture'
import { ViewSet } from '../../../electron/workers/capture/views'
import { ipv4, u8, udp } from '../decode/frames'

const S = 1e6
const view = (v: Partial<ConnectionsView>): ConnectionsView => ({ ...DEFAULT_VIEW, ...v })

/** n UDP flows 10.9.0.(i+1):5000 -> 10.8.0.1:(1000+i), flow i with i+1 packets. */
function table(n: number): Aggregator {
  const agg = new Aggregator({ linkType: 101 })
  for (let i = 0; i < n; i++) {
    const frame = u8(
      ipv4(udp(5000, 1000 + i), { src: `10.9.0.${i + 1}`, dst: '10.8.0.1', proto: 17 }),
    )
    for (let p = 0; p <= i; p++) agg.add(100 * S + i * 10 + p, frame, 100)
  }
  agg.advance(102 * S)
  return agg
}

describe('ViewSet', () => {
  it('applies each distinct view once and gives every client its own rows', () => {
    const agg = table(20)
    const fv = new FlowView()
    const clock = { nowSec: 102, startSec: 100 }
    const applied: ConnectionsView[] = []
    const apply = (v: ConnectionsView): ViewResult => {
      applied.push(v)
      return fv.apply(agg.recent(), clock, v)
    }
    const top5 = view({ sort: 'total', descending: true, limit: 5 })
    const byPort = view({ sort: 'b', descending: false, filter: '10.8.0.1:1003', limit: 10 })
    const set = new ViewSet()
    // Two clients with the same view (equal JSON, different objects) and one with another.
    expect(set.replace({ c1: top5, c2: { ...top5 }, c3: byPort })).toBe(true)
    expect(set.waiting().sort()).toEqual(['c1', 'c2', 'c3'])
    const r = set.compute(apply)!
    expect(applied).toHaveLength(2)
    expect(Object.keys(r).sort()).toEqual(['c1', 'c2', 'c3'])
    expect(r.c1).toBe(r.c2)
    // The rows are the view's: the 5 flows with most bytes (flow i has i+1 packets).
    expect(r.c1!.rows.map((x) => x.port_b)).toEqual([1019, 1018, 1017, 1016, 1015])
    expect(r.c3).toMatchObject({ flows: 20, matched: 1 })
    expect(r.c3!.rows.map((x) => [x.port_b, x.packets_a_to_b])).toEqual([[1003, 4]])
    // Same rows as a FlowView of its own gives for that view alone.
    expect(r.c3!.rows).toEqual(new FlowView().apply(agg.recent(), clock, byPort).rows)
    expect(set.waiting()).toEqual([])
  })

  it('waits for an early answer only for new or changed views; a client left out is gone', () => {
    const set = new ViewSet()
    const a = view({ limit: 5 })
    const b = view({ sort: 'b', limit: 5 })
    set.replace({ c1: a, c2: b })
    set.compute(() => ({}) as ViewResult)
    // The same set again (another client's change resent it): nothing to answer.
    expect(set.replace({ c1: { ...a }, c2: b })).toBe(false)
    expect(set.replace({ c1: a, c2: view({ sort: 'b', limit: 5, offset: 5 }) })).toBe(true)
    expect(set.waiting()).toEqual(['c2'])
    // An early answer computes only the waiting clients' views.
    const seen: ConnectionsView[] = []
    const early = set.compute((v) => (seen.push(v), { offset: v.offset } as ViewResult), ['c2'])
    expect(early).toEqual({ c2: { offset: 5 } })
    expect(seen).toHaveLength(1)
    // c2's connection closed: its view is neither waited for nor computed any more.
    set.replace({ c1: a, c2: view({ limit: 9 }) })
    expect(set.replace({ c1: a })).toBe(false)
    expect(set.waiting()).toEqual([])
    expect(set.size).toBe(1)
    const left = set.compute((v) => ({ limit: v.limit }) as unknown as ViewResult)
    expect(Object.keys(left!)).toEqual(['c1'])
    expect(set.replace({})).toBe(false)
    expect(set.compute(() => ({}) as ViewResult)).toBeUndefined()
  })

  it('keeps an id such as __proto__ as data, never as the prototype', () => {
    const set = new ViewSet()
    set.replace(JSON.parse(`{"__proto__": ${JSON.stringify(view({}))}}`) as never)
    const r = set.compute(() => ({ flows: 7 }) as ViewResult)!
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype)
    expect(Object.hasOwn(r, '__proto__')).toBe(true)
  })
})

describe('views in the capture worker protocol', () => {
  const source = { kind: 'live', iface: 'eth0' }
  it('carries views by client id, bounded, and refuses the old one-view shape', () => {
    const views = Object.fromEntries(
      Array.from({ length: MAX_VIEWS }, (_, i) => [`c${i}`, view({ limit: i + 1 })]),
    )
    expect(ToWorker.safeParse({ type: 'view', views }).success).toBe(true)
    expect(ToWorker.safeParse({ type: 'view', views: {} }).success).toBe(true)
    const more = { ...views, extra: view({}) }
    const tooMany = ToWorker.safeParse({ type: 'view', views: more })
    expect(tooMany.success).toBe(false)
    expect(tooMany.error?.issues[0]?.message).toBe(`at most ${MAX_VIEWS} views`)
    expect(ToWorker.safeParse({ type: 'view', view: view({}) }).success).toBe(false)
    expect(ToWorker.safeParse({ type: 'view', views: { 'a b': view({}) } }).success).toBe(false)
    expect(ToWorker.safeParse({ type: 'view', views: { c1: { sort: 'nope' } } }).success).toBe(
      false,
    )
    expect(StartMessage.parse({ type: 'start', source, views: { c1: view({}) } }).views).toEqual({
      c1: view({}),
    })
    expect(StartMessage.safeParse({ type: 'start', source, views: more }).success).toBe(false)
  })

  it('a tick carries rows by client id and whom an early one is for', () => {
    const agg = table(3)
    const rows = new FlowView().apply(agg.recent(), { nowSec: 102, startSec: 100 }, view({}))
    const tick = {
      type: 'tick',
      seq: 1,
      skipped: 0,
      snapshot: agg.snapshot(0),
      stats: null,
      deltas: null,
      deltas_dropped: 0,
      views: { c1: rows },
      to: ['c1'],
    }
    expect(TickMessage.parse(tick)).toMatchObject({ views: { c1: { flows: 3 } }, to: ['c1'] })
    expect(TickMessage.safeParse({ ...tick, to: ['no such id!'] }).success).toBe(false)
  })
})
