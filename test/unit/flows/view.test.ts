import { describe, expect, it } from 'vitest'
import {
  DEFAULT_VIEW,
  ViewResult,
  type ConnectionsView,
  type ConversationRecord,
} from '../../../common/capture'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { FlowView, type Annotated } from '../../../electron/shared/flows/view'
import { ipv4, tcp, u8, udp } from '../decode/frames'

const S = 1e6
const RAW = 101

/** n UDP flows from 10.9.(i/250).(i%250) to 10.8.0.1:(1000+i) with i+1 packets each. */
function table(n: number): Aggregator {
  const agg = new Aggregator({ linkType: RAW })
  for (let i = 0; i < n; i++) {
    const src = `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`
    const frame = u8(ipv4(udp(5000, 1000 + i), { src, dst: '10.8.0.1', proto: 17 }))
    for (let p = 0; p <= i % 17; p++) agg.add(100 * S + i * 10 + p, frame, 100 + (i % 101))
  }
  agg.add(
    100 * S + n * 10,
    u8(ipv4(tcp({ sport: 40000, dport: 443 }), { src: '10.7.0.1', dst: '10.8.0.1' })),
    60,
  )
  agg.advance(103 * S)
  return agg
}

function clockOf(agg: Aggregator) {
  const s = agg.snapshot(0)
  return { nowSec: Math.floor(s.time_us / S), startSec: Math.floor(s.start_us! / S) }
}

const view = (v: Partial<ConnectionsView>): ConnectionsView => ({ ...DEFAULT_VIEW, ...v })
const total = (c: ConversationRecord) => c.bytes_a_to_b + c.bytes_b_to_a
const key = (c: ConversationRecord) =>
  `c|${c.protocol}|${c.address_a}${c.port_a === null ? '' : `:${c.port_a}`}|${c.address_b}${c.port_b === null ? '' : `:${c.port_b}`}`

describe('FlowView', () => {
  const agg = table(3000)
  const clock = clockOf(agg)
  const all = agg.conversations()

  it('windows the whole table sorted, equal to a full sort of every record', () => {
    const fv = new FlowView()
    const expected = [...all].sort(
      (x, y) => total(y) - total(x) || x.first_seen_us - y.first_seen_us,
    )
    for (const offset of [0, 40, 1500, 2990]) {
      const r = ViewResult.parse(
        fv.apply(agg.recent(), clock, view({ sort: 'total', offset, limit: 40 })),
      )
      expect(r.flows).toBe(3001)
      expect(r.matched).toBe(3001)
      expect(r.offset).toBe(offset)
      const want = expected.slice(offset, offset + 40)
      expect(r.rows.map((x) => x.key)).toEqual(want.map(key))
      expect(r.rows.map((x) => x.bytes_a_to_b + x.bytes_b_to_a)).toEqual(want.map(total))
    }
    const asc = fv.apply(agg.recent(), clock, view({ sort: 'b', descending: false, limit: 3 }))
    expect(asc.rows.map((x) => x.port_b)).toEqual([1000, 1001, 1002])
  })

  it('filters the whole table: finds a conversation that is nowhere near the top', () => {
    const fv = new FlowView()
    // Flow 2992 has 1 packet: far outside the top 1,000 by bytes.
    const r = fv.apply(agg.recent(), clock, view({ filter: '10.8.0.1:3992', limit: 10 }))
    expect(r.matched).toBe(1)
    expect(r.rows[0]).toMatchObject({ a: '10.9.11.243', port_b: 3992, packets_a_to_b: 1 })
    const words = fv.apply(agg.recent(), clock, view({ filter: 'TCP 443', limit: 10 }))
    expect(words.rows.map((x) => x.protocol)).toEqual(['tcp'])
    expect(fv.apply(agg.recent(), clock, view({ filter: 'nothing-like-this' })).matched).toBe(0)
  })

  it('aggregates by host, source, destination and host pair with exact sums', () => {
    const fv = new FlowView()
    const sum = all.reduce((n, c) => n + total(c), 0)
    const host = fv.apply(agg.recent(), clock, view({ group: 'host', ports: false, limit: 5 }))
    // 3000 sources + 10.7.0.1 + the one destination.
    expect(host.matched).toBe(3002)
    const dest = host.rows[0]!
    expect(dest).toMatchObject({ a: '10.8.0.1', flows: 3001, b: null })
    // The destination receives everything: "into" it is every byte A to B.
    expect(dest.bytes_b_to_a + dest.bytes_a_to_b).toBe(sum)
    const src = fv.apply(agg.recent(), clock, view({ group: 'source', ports: false, limit: 1 }))
    expect(src.matched).toBe(3001)
    const dst = fv.apply(
      agg.recent(),
      clock,
      view({ group: 'destination', ports: true, sort: 'flows', limit: 5 }),
    )
    // With ports every destination port is its own row.
    expect(dst.matched).toBe(3001)
    // Groups are kept between ticks and reset: the same table gives the same rows again.
    const again = fv.apply(agg.recent(), clock, view({ group: 'host', ports: false, limit: 5 }))
    expect(again).toEqual(host)
    // 10.8.0.1 talks UDP and TCP: its row's protocol is mixed (null).
    expect(dest.protocol).toBeNull()
    const pairs = fv.apply(agg.recent(), clock, view({ group: 'conversation', ports: false }))
    expect(pairs.matched).toBe(3001)
    expect(pairs.rows.every((r) => r.port_a === null && r.port_b === null)).toBe(true)
  })

  it('groups by process and service through the annotate hook, unknown in its own row', () => {
    const calls: number[] = []
    const fv = new FlowView((items: Annotated[]) => {
      calls.push(items.length)
      for (const it of items) {
        const even = (it.port_b ?? 0) % 2 === 0
        it.process = it.protocol === 'tcp' ? null : even ? 'even' : 'odd'
        it.pid = it.protocol === 'tcp' ? null : even ? 100 : 101
        it.process_side = 'a'
        it.service = it.port_b === 443 ? 'https' : null
      }
    })
    const r = fv.apply(agg.recent(), clock, view({ group: 'process', sort: 'flows', limit: 10 }))
    expect(r.rows.map((x) => [x.a, x.pid, x.flows])).toEqual([
      ['even', 100, 1500],
      ['odd', 101, 1500],
      ['unknown', null, 1],
    ])
    expect(calls[0]).toBe(3001) // every flow once, in one call
    const svc = fv.apply(
      agg.recent(),
      clock,
      view({ group: 'service', sort: 'a', descending: false, limit: 10 }),
    )
    expect(svc.rows.map((x) => [x.a, x.flows])).toEqual([
      ['https', 1],
      ['unknown', 3000],
    ])
    const byName = fv.apply(agg.recent(), clock, view({ filter: 'odd 1001', limit: 50 }))
    expect(byName.rows.map((x) => x.port_b).sort()).toEqual([1001])
    expect(byName.rows[0]!.process).toBe('odd')
  })

  it('keeps pinned rows in their order and sends the selected row wherever it is', () => {
    const fv = new FlowView()
    const first = fv.apply(agg.recent(), clock, view({ sort: 'total', limit: 3 }))
    const keys = first.rows.map((r) => r.key).reverse()
    const far = key(all[2500]!)
    const paused = fv.apply(
      agg.recent(),
      clock,
      view({ sort: 'total', pinned: [...keys, 'c|udp|gone:1|gone:2'], selected: far }),
    )
    expect(paused.rows.map((r) => r.key)).toEqual(keys)
    expect(paused.pinned_gone).toEqual(['c|udp|gone:1|gone:2'])
    expect(paused.selected?.key).toBe(far)
  })

  it('keeps a tick of 40 rows small at 10,000 conversations', () => {
    const big = table(10_000)
    const fv = new FlowView()
    const r = fv.apply(big.recent(), clockOf(big), view({ limit: 40 }))
    expect(r.flows).toBe(10_001)
    expect(JSON.stringify(r).length).toBeLessThan(30_000)
  })
})
