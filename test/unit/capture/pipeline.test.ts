import { describe, expect, it } from 'vitest'
import { CaptureError } from '../../../electron/shared/capture/errors'
import {
  aggregate,
  allConversations,
  drain,
  FlowDeltas,
  nextTickAfter,
  runLive,
  type FlowDelta,
} from '../../../electron/shared/capture/pipeline'
import type { ConversationRecord } from '../../../common/capture'
import type { CaptureSource, PumpResult } from '../../../electron/shared/capture/source'
import {
  SyntheticSource,
  type SyntheticFrame,
} from '../../../electron/shared/capture/synthetic-source'
import { tcp4, udp4 } from './pcap-file'

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000

const frames: SyntheticFrame[] = [
  { tsUs: T0, data: tcp4('10.0.0.1', '10.0.0.2', 40000, 80, 0x02) },
  { tsUs: T0 + 500, data: tcp4('10.0.0.2', '10.0.0.1', 80, 40000, 0x12) },
  { tsUs: T0 + 900, data: tcp4('10.0.0.1', '10.0.0.2', 40000, 80, 0x10, 2), wireLen: 1514 },
  { tsUs: T0 + 1000, data: udp4('10.0.0.3', '10.0.0.2', 5353, 53) },
]

/** A live source on which nothing ever arrives; `extra` adds or replaces members. */
function idleLive(extra: Partial<CaptureSource> = {}): CaptureSource {
  return {
    ...new SyntheticSource([]),
    kind: 'live',
    linkType: 1,
    linkTypeName: 'EN10MB',
    pump: () => ({ packets: 0, status: 'idle' }),
    stats: () => null,
    progress: () => null,
    close: () => {},
    ...extra,
  }
}

/** A source that fails after delivering some frames, as libpcap does at a damaged record. */
function failingSource(good: number): CaptureSource {
  const inner = new SyntheticSource(frames.slice(0, good))
  return Object.assign(Object.create(inner) as CaptureSource, {
    pump(sink: Parameters<CaptureSource['pump']>[0], max: number): PumpResult {
      const r = inner.pump(sink, max)
      return r.status === 'eof'
        ? { packets: r.packets, status: 'error', error: 'truncated dump file' }
        : r
    },
  })
}

describe('pipeline', () => {
  it('drains a source into conversations with per-direction packets and wire bytes', async () => {
    const source = new SyntheticSource(frames)
    const agg = aggregate(source)
    const r = await drain(source, agg.aggregator)
    expect(r).toEqual({ packets: 4, warning: null, aborted: false })
    const [tcp, udp] = allConversations(agg)
    expect(tcp).toMatchObject({
      protocol: 'tcp',
      address_a: '10.0.0.1',
      port_a: 40000,
      packets_a_to_b: 2,
      packets_b_to_a: 1,
    })
    expect(tcp!.bytes_a_to_b).toBe(frames[0]!.data.length + 1514)
    expect(tcp!.handshake_rtt_ms).toBeCloseTo(0.5)
    expect(udp).toMatchObject({
      protocol: 'udp',
      address_a: '10.0.0.3',
      port_b: 53,
      packets_a_to_b: 1,
    })
  })

  it('keeps flows that ended (evicted from a full table) in the report', async () => {
    const source = new SyntheticSource(frames)
    const agg = aggregate(source, { maxFlows: 1 })
    await drain(source, agg.aggregator)
    expect(agg.ended).toHaveLength(1)
    expect(allConversations(agg).map((c) => c.protocol)).toEqual(['tcp', 'udp'])
  })

  it('keeps no ended flows when asked not to (long-running monitors)', async () => {
    const source = new SyntheticSource(frames)
    const agg = aggregate(source, { maxFlows: 1, keepEnded: false })
    await drain(source, agg.aggregator)
    expect(agg.aggregator.snapshot(0).flows_evicted).toBe(1)
    expect(agg.ended).toHaveLength(0)
  })

  it('turns an unsupported link type into a clear CaptureError', () => {
    const source = new SyntheticSource([], 195, 'IEEE802_15_4')
    let err: unknown
    try {
      aggregate(source)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CaptureError)
    expect((err as CaptureError).code).toBe('UNSUPPORTED_LINK_TYPE')
    expect((err as CaptureError).message).toMatch(
      /^unsupported link type IEEE802_15_4 \(LINKTYPE 195\)/,
    )
  })

  it('fails a file that breaks before its first packet, warns when it breaks later', async () => {
    const empty = failingSource(0)
    await expect(drain(empty, aggregate(empty).aggregator)).rejects.toMatchObject({
      code: 'NOT_A_CAPTURE',
    })
    const cut = failingSource(2)
    const r = await drain(cut, aggregate(cut).aggregator)
    expect(r.packets).toBe(2)
    expect(r.warning).toMatch(/stopped after 2 packets: truncated dump file/)
  })

  it('stops draining when aborted', async () => {
    const source = new SyntheticSource(frames)
    const ac = new AbortController()
    ac.abort()
    expect((await drain(source, aggregate(source).aggregator, { signal: ac.signal })).aborted).toBe(
      true,
    )
  })

  it('runs a replayed source to its end with one snapshot per tick of the clock', async () => {
    const source = new SyntheticSource(
      Array.from({ length: 200_000 }, (_, i) => ({
        tsUs: T0 + i,
        data: udp4('10.0.0.1', '10.0.0.2', 1, 2),
      })),
    )
    const agg = aggregate(source)
    let now = 0
    const ticks: number[] = []
    const r = await runLive(source, agg.aggregator, {
      tickMs: 1000,
      nowUs: () => (now += 400_000), // every read of the clock moves 0.4 s
      onTick: (snap) => ticks.push(snap.packets),
    })
    expect(r.reason).toBe('eof')
    expect(r.packets).toBe(200_000)
    expect(ticks.length).toBeGreaterThan(0)
    expect(ticks).toEqual([...ticks].sort((x, y) => x - y))
  })

  it('ends a live run that fails mid-way with what it counted and a warning', async () => {
    const cut = Object.assign(failingSource(3), { kind: 'live' as const })
    const r = await runLive(cut, aggregate(cut).aggregator)
    expect(r).toMatchObject({
      reason: 'error',
      packets: 3,
      warning: 'capture stopped after 3 packets: truncated dump file',
    })
  })

  it('ticks 400 ms into the second, so the second just ended is all in', () => {
    const s = 1_780_000_000 * 1e6
    expect(nextTickAfter(s, 1000)).toBe(s + 400_000)
    expect(nextTickAfter(s + 399_999, 1000)).toBe(s + 400_000)
    expect(nextTickAfter(s + 400_000, 1000)).toBe(s + 1_400_000)
    expect(nextTickAfter(s + 999_000, 1000)).toBe(s + 1_400_000)
    // Other periods keep the phase when it fits, else tick on their own grid.
    expect(nextTickAfter(s + 300_000, 2000)).toBe(s + 400_000)
    expect(nextTickAfter(s + 500_000, 2000)).toBe(s + 2_400_000)
    expect(nextTickAfter(s + 60_000, 250)).toBe(s + 150_000)
    expect(nextTickAfter(s + 10_000, 50)).toBe(s + 50_000)
  })

  it('keeps ticking when the wall clock is set back an hour', async () => {
    // Each wait moves the clock to the next of these times (ms from s), then the run stops.
    const s = 1_780_000_000 * 1e6
    const back = -3_600_000
    const clock = [400, back + 500, back + 1400]
    let now = s + 100_000
    const ac = new AbortController()
    const live = idleLive({
      waitReady: async () => {
        const at = clock.shift()
        if (at === undefined) ac.abort()
        else now = s + at * 1000
        return true
      },
    })
    const ticks: number[] = []
    await runLive(live, aggregate(live).aggregator, {
      tickMs: 1000,
      nowUs: () => now,
      signal: ac.signal,
      onTick: () => ticks.push((now - s) / 1000),
    })
    expect(ticks).toEqual([400, back + 1400])
  })

  it('ends a live run on the signal or the duration', async () => {
    const idle = idleLive()
    const agg = aggregate(idle)
    expect((await runLive(idle, agg.aggregator, { durationMs: 30 })).reason).toBe('duration')
    // On the monotonic clock: a wall clock running backwards does not keep it going.
    let wall = Date.now() * 1000
    const back = { durationMs: 30, nowUs: () => (wall -= 100_000) }
    expect((await runLive(idle, agg.aggregator, back)).reason).toBe('duration')
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 20)
    expect((await runLive(idle, agg.aggregator, { signal: ac.signal })).reason).toBe('signal')
  })

  it('waits for a source that can wait instead of polling it, and finishes it at the stop', async () => {
    // A stream source (the capture helper's): frames come when `arrive` is called; `finish`
    // hands over a last frame and ends the stream, as the helper does on SIGTERM.
    const queue: SyntheticFrame[] = []
    let ended = false
    let wake: (() => void) | null = null
    const arrive = (f: SyntheticFrame) => {
      queue.push(f)
      wake?.()
    }
    let pumps = 0
    let finished = 0
    const stream: CaptureSource = {
      kind: 'live',
      linkType: 1,
      linkTypeName: 'EN10MB',
      pump(sink) {
        pumps++
        const n = queue.length
        for (const f of queue.splice(0)) sink(f.tsUs, f.data, f.wireLen ?? f.data.length)
        if (n > 0) return { packets: n, status: 'more' }
        return ended ? { packets: 0, status: 'eof' } : { packets: 0, status: 'idle' }
      },
      waitReady: (ms) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms)
          wake = () => {
            clearTimeout(timer)
            wake = null
            resolve(true)
          }
        }),
      finish() {
        finished++
        setTimeout(() => {
          arrive(frames[3]!)
          ended = true
          wake?.()
        }, 20)
      },
      stats: () => null,
      progress: () => null,
      close: () => {},
    }
    const agg = aggregate(stream)
    const ac = new AbortController()
    const ticks: number[] = []
    setTimeout(() => arrive(frames[0]!), 100)
    setTimeout(() => arrive(frames[1]!), 300)
    setTimeout(() => ac.abort(), 700)
    const r = await runLive(stream, agg.aggregator, {
      signal: ac.signal,
      tickMs: 200,
      onTick: (s) => ticks.push(s.packets),
    })
    expect(r).toMatchObject({ reason: 'signal', packets: 3 })
    expect(finished).toBe(1)
    // Woken by the two arrivals, the three ticks and the end: no polling in between (a poll
    // every 1-16 ms would be ~60 pumps in 700 ms).
    expect(pumps).toBeLessThan(20)
    // Ticks on time (every 200 ms) though nothing polls; the last before the stop saw both frames.
    expect(ticks.length).toBeGreaterThanOrEqual(2)
    expect(ticks.at(-1)).toBe(2)
  })
})

describe('FlowDeltas (history deltas computed where packets are counted)', () => {
  /** Random traffic over few flows, with evictions (small table) and idle expiries. */
  function traffic(n: number, seed: number): SyntheticFrame[] {
    let x = seed
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32
    let t = T0
    return Array.from({ length: n }, () => {
      t += rnd() < 0.02 ? 3_000_000 : Math.floor(rnd() * 2000) // now and then a long gap
      const a = `10.0.0.${1 + Math.floor(rnd() * 6)}`
      const b = `10.0.1.${1 + Math.floor(rnd() * 6)}`
      const port = 1000 + Math.floor(rnd() * 3)
      return rnd() < 0.5
        ? { tsUs: t, data: udp4(a, b, port, 53), wireLen: 60 + Math.floor(rnd() * 1400) }
        : { tsUs: t, data: udp4(b, a, 53, port), wireLen: 60 + Math.floor(rnd() * 1400) }
    })
  }

  it.each([1, 2, 3])('sum to every flow total, each flow ending once (seed %i)', (seed) => {
    const all = traffic(5000, seed)
    const deltas = new FlowDeltas()
    const source = new SyntheticSource(all)
    const agg = aggregate(source, { deltas, maxFlows: 20, idleTimeoutS: 2 })
    const sink = agg.aggregator.add.bind(agg.aggregator)
    const got: FlowDelta[] = []
    let takes = 0
    for (;;) {
      const r = source.pump(sink, 1 + (takes % 97)) // takes between uneven batches
      // Skip some takes, as a worker does while its host lags: the next one carries them.
      if (takes++ % 5 !== 3) got.push(...deltas.take(agg.aggregator))
      if (r.status === 'eof') break
    }
    got.push(...deltas.endAll(agg.aggregator))
    const totals = allConversations(agg)
    expect(agg.aggregator.snapshot(0).flows_evicted).toBeGreaterThan(0)
    expect(agg.aggregator.snapshot(0).flows_expired).toBeGreaterThan(0)
    // Walk the deltas as a store would: a key's flow is open until a delta says it ended.
    const open = new Map<string, FlowDelta>()
    const flows: FlowDelta[] = []
    const key = (d: FlowDelta) =>
      `${d.protocol}|${d.address_a}|${d.port_a}|${d.address_b}|${d.port_b}`
    for (const d of got) {
      const s = open.get(key(d))
      if (s) {
        expect(d.first_seen_us).toBeGreaterThanOrEqual(s.last_seen_us)
        s.packets_a_to_b += d.packets_a_to_b
        s.bytes_a_to_b += d.bytes_a_to_b
        s.packets_b_to_a += d.packets_b_to_a
        s.bytes_b_to_a += d.bytes_b_to_a
        s.last_seen_us = d.last_seen_us
      } else open.set(key(d), { ...d })
      if (d.ended) {
        flows.push(open.get(key(d))!)
        open.delete(key(d))
      }
    }
    expect(open.size).toBe(0)
    const strip = (c: FlowDelta | ConversationRecord) => [
      key(c as FlowDelta),
      c.packets_a_to_b,
      c.bytes_a_to_b,
      c.packets_b_to_a,
      c.bytes_b_to_a,
      c.first_seen_us,
      c.last_seen_us,
    ]
    const byTime = (x: (string | number)[], y: (string | number)[]) =>
      (x[5] as number) - (y[5] as number) || String(x[0]).localeCompare(String(y[0]))
    expect(flows.map(strip).sort(byTime)).toEqual(totals.map(strip).sort(byTime))
  })

  it('sends nothing for flows without new packets, and the handshake RTT once', () => {
    const deltas = new FlowDeltas()
    const source = new SyntheticSource(frames)
    const agg = aggregate(source, { deltas, keepEnded: false })
    source.pump(agg.aggregator.add.bind(agg.aggregator), 100)
    const first = deltas.take(agg.aggregator)
    expect(first).toHaveLength(2)
    expect(first.find((d) => d.protocol === 'tcp')).toMatchObject({
      packets_a_to_b: 2,
      packets_b_to_a: 1,
      bytes_a_to_b: 54 + 1514,
      handshake_rtt_ms: 0.5,
      ended: false,
    })
    expect(deltas.take(agg.aggregator)).toEqual([])
    const end = deltas.endAll(agg.aggregator)
    expect(
      end.map((d) => [d.ended, d.packets_a_to_b + d.packets_b_to_a, d.handshake_rtt_ms]),
    ).toEqual([
      [true, 0, null],
      [true, 0, null],
    ])
  })
})
