import { describe, expect, it } from 'vitest'
import { BandwidthMeter, counterDelta } from '../../../electron/engine/bandwidth/meter'
import type { InterfaceCounters } from '../../../electron/engine/sysnet/counters'

const c = (rx_bytes: number, tx_bytes = 0, rx_packets = 0, tx_packets = 0): InterfaceCounters => ({
  rx_bytes,
  tx_bytes,
  rx_packets,
  tx_packets,
  rx_dropped: 0,
  tx_dropped: 0,
})
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString()

/** Feeds successive counter readings one second apart; returns the rates after each. */
function feed(meter: BandwidthMeter, readings: Array<Record<string, InterfaceCounters>>) {
  return readings.map((r, k) => meter.sample(new Map(Object.entries(r)), k * 1000, at(k * 1000)))
}

describe('counterDelta', () => {
  it('takes plain differences', () => {
    expect(counterDelta(100, 250, 1e9)).toBe(150)
  })
  it('unwraps a 32-bit counter that wrapped', () => {
    expect(counterDelta(2 ** 32 - 100, 50, 1e9)).toBe(150)
  })
  it('treats an implausible decrease as a reset, never negative', () => {
    expect(counterDelta(1_000_000, 10, 1e6)).toBe(0)
    expect(counterDelta(2 ** 40, 5, 1e9)).toBe(0)
  })
  it('ignores an absurd forward jump', () => {
    expect(counterDelta(0, 1e15, 1e9)).toBe(0)
  })
})

describe('BandwidthMeter', () => {
  it('computes current, average, min, max and total per direction', () => {
    const m = new BandwidthMeter()
    const [, r1, r2, r3] = feed(m, [
      { eth0: c(0, 0) },
      { eth0: c(1000, 10) },
      { eth0: c(4000, 20) },
      { eth0: c(6000, 30) },
    ])
    expect(r1!.rates[0]!.rx.current_bps).toBe(1000)
    expect(r2!.rates[0]!.rx.current_bps).toBe(3000)
    const s = r3!.rates[0]!
    expect(s.rx).toMatchObject({
      current_bps: 2000,
      min_bps: 1000,
      max_bps: 3000,
      total_bytes: 6000,
      average_bps: 2000,
    })
    expect(s.tx).toMatchObject({ current_bps: 10, total_bytes: 30 })
    expect(s.elapsed_s).toBe(3)
  })

  it('follows a 32-bit counter wrap without a negative or absurd rate', () => {
    const m = new BandwidthMeter()
    const results = feed(m, [
      { eth0: c(2 ** 32 - 5000) },
      { eth0: c(2 ** 32 - 1000) },
      { eth0: c(3000) },
      { eth0: c(7000) },
    ])
    const rx = results.map((r) => r.rates[0]!.rx.current_bps)
    expect(rx.slice(1)).toEqual([4000, 4000, 4000])
    expect(results.at(-1)!.rates[0]!.rx.total_bytes).toBe(12000)
  })

  it('a counter reset (driver reload) gives 0 for that second, not 4 GB', () => {
    const m = new BandwidthMeter(300, () => 125_000_000) // 1 Gbit/s link
    const results = feed(m, [
      { eth0: c(5e9) },
      { eth0: c(5e9 + 1e6) },
      { eth0: c(200) },
      { eth0: c(1200) },
    ])
    const rx = results.map((r) => r.rates[0]!.rx)
    expect(rx.map((d) => d.current_bps)).toEqual([0, 1e6, 0, 1000])
    for (const d of rx) expect(d.max_bps).toBeLessThanOrEqual(1e6)
  })

  it('drops a vanished interface and restarts it from a fresh baseline when it returns', () => {
    const m = new BandwidthMeter()
    const results = feed(m, [
      { lo: c(0), veth0: c(9e9) },
      { lo: c(10), veth0: c(9e9 + 500) },
      { lo: c(20) }, // veth0 gone
      { lo: c(30), veth0: c(100) }, // re-created with counters from zero
      { lo: c(40), veth0: c(600) },
    ])
    expect(results[2]!.vanished).toEqual(['veth0'])
    expect(results[2]!.rates.map((r) => r.name)).toEqual(['lo'])
    expect(results[3]!.appeared).toEqual(['veth0'])
    const back = results[3]!.rates.find((r) => r.name === 'veth0')!
    expect(back.rx.current_bps).toBe(0)
    expect(back.rx.total_bytes).toBe(0)
    const later = results[4]!.rates.find((r) => r.name === 'veth0')!
    expect(later.rx.current_bps).toBe(500)
    for (const r of results.flatMap((x) => x.rates)) {
      expect(r.rx.current_bps).toBeGreaterThanOrEqual(0)
      expect(r.rx.current_bps).toBeLessThan(1e6)
    }
  })

  it('keeps a bounded history for the graph', () => {
    const m = new BandwidthMeter(3)
    feed(
      m,
      [0, 1, 2, 3, 4, 5].map((k) => ({ eth0: c(k * 100) })),
    )
    const h = m.history(1000).interfaces['eth0']!
    expect(h.rx_bps).toEqual([100, 100, 100])
    expect(h.times).toHaveLength(3)
    expect(h.times.at(-1)).toBe(at(5000))
  })

  it('uses the measured interval, not the nominal tick', () => {
    const m = new BandwidthMeter()
    m.sample(new Map([['eth0', c(0)]]), 0, at(0))
    const r = m.sample(new Map([['eth0', c(3000)]]), 1500, at(1500))
    expect(r.rates[0]!.rx.current_bps).toBe(2000)
  })
})
