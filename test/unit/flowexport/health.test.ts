/**
 * Export statistics in capture health and /metrics: LiveExport's collector state from what
 * happened since the last tick, and the flowscope_flow_export_*_total counters, which only grow
 * across capture restarts (and exporter restarts, whose counts start again from 0).
 */
import { createSocket } from 'node:dgram'
import { describe, expect, it } from 'vitest'
import type { CaptureTick, ExportHealth } from '../../../common/contract'
import { EventBus } from '../../../electron/engine/events'
import { createMetrics } from '../../../electron/engine/metrics'
import { LiveExport } from '../../../electron/shared/flowexport/live'
import { parseCollectorUrl } from '../../../electron/shared/flowexport/options'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { ether, ipv4, udp } from '../decode/frames'
import { captureTick, samples } from '../metrics/helpers'

const spec = (url: string) => {
  const p = parseCollectorUrl(url)
  if (!p.ok) throw new Error(p.message)
  return p.value
}

const frame = (i: number) =>
  new Uint8Array(
    ether(0x0800, ipv4(udp(1000 + i, 53, 20), { src: '10.1.0.1', dst: '10.1.0.2', proto: 17 })),
  )

const until = async (f: () => boolean, ms = 3000) => {
  for (let t = 0; t < ms && !f(); t += 10) await new Promise((r) => setTimeout(r, 10))
}

describe('LiveExport health', () => {
  it('up while a collector takes the messages, down once it refuses them', async () => {
    const sink = createSocket('udp4')
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r))
    const port = sink.address().port
    let received = 0
    sink.on('message', () => received++)
    const agg = new Aggregator({ linkType: 1 })
    const live = new LiveExport(
      { collectors: [spec(`ipfix://127.0.0.1:${port}`)], idleTimeoutS: 1 },
      null,
      agg,
    )
    const t0 = 1_700_000_000e6
    for (let i = 0; i < 50; i++) agg.add(t0 + i, frame(i), 60)
    agg.advance(t0 + 3e6) // idle: 50 records out
    await until(() => received > 0)
    let h = live.withHealth(null).export!
    expect(h).toMatchObject({ records: 50, send_errors: 0, dropped: 0 })
    expect(h.messages).toBe(received)
    expect(h.collectors).toEqual([
      { url: `ipfix://127.0.0.1:${port}`, state: 'up', last_error: null },
    ])
    // The collector goes away: the kernel answers ICMP port unreachable.
    await new Promise<void>((r) => sink.close(() => r()))
    for (let s = 4; s < 12; s++) {
      agg.add(t0 + s * 1e6, frame(s), 60)
      agg.advance(t0 + (s + 2) * 1e6)
      await new Promise((r) => setTimeout(r, 20))
    }
    h = live.withHealth(null).export!
    expect(h.send_errors).toBeGreaterThan(0)
    expect(h.collectors[0]).toMatchObject({ state: 'down', last_error: 'ECONNREFUSED' })
    // A quiet tick (nothing sent) keeps the state it had.
    expect(live.health().collectors[0]!.state).toBe('down')
    await live.finish(500)
  })

  it('a TCP collector nobody listens on is down, not connecting, once refused', async () => {
    const agg = new Aggregator({ linkType: 1 })
    const live = new LiveExport({ collectors: [spec('ipfix+tcp://127.0.0.1:1')] }, null, agg)
    expect(live.health().collectors[0]!.state).toBe('connecting')
    await until(() => live.health().collectors[0]!.state === 'down')
    expect(live.health().collectors[0]).toMatchObject({ state: 'down', last_error: 'ECONNREFUSED' })
    live.close()
  })
})

const exp = (n: number): ExportHealth => ({
  records: 10 * n,
  messages: n,
  bytes: 1000 * n,
  send_errors: 2 * n,
  dropped: 3 * n,
  collectors: [{ url: 'ipfix://h', state: 'down', last_error: 'ECONNREFUSED' }],
})
const withExport = (t: CaptureTick, n: number): CaptureTick => ({
  ...t,
  health: { ...t.health!, export: exp(n) },
})
const counts = { received: 1, dropped: 0, packets: 1, malformed: 0, evicted: 0, retrans: 0 }

describe('flow export metrics', () => {
  it('count the growth of each tick, monotonic across capture and exporter restarts', async () => {
    const events = new EventBus()
    const metrics = createMetrics({ events, counters: () => null })
    const value = async (name: string) => samples(await metrics.text()).get(name)
    expect(await value('flowscope_flow_export_records_total')).toBe(0)
    const state = (active: boolean) =>
      events.emit('capture.state', {
        active,
        iface: 'eth0',
        filter: null,
        started_at: null,
        error: null,
      })
    state(true)
    events.emit('capture.tick', withExport(captureTick('eth0', 1, counts), 1))
    events.emit('capture.tick', withExport(captureTick('eth0', 2, counts), 4))
    // A tick without export (export turned off) adds nothing.
    events.emit('capture.tick', captureTick('eth0', 3, counts))
    expect(await value('flowscope_flow_export_records_total')).toBe(40)
    // The capture restarts (the setting changed): its counts start from 0 again.
    state(false)
    state(true)
    events.emit('capture.tick', withExport(captureTick('eth0', 4, counts), 2))
    expect(await value('flowscope_flow_export_records_total')).toBe(60)
    expect(await value('flowscope_flow_export_messages_total')).toBe(6)
    expect(await value('flowscope_flow_export_send_errors_total')).toBe(12)
    expect(await value('flowscope_flow_export_dropped_total')).toBe(18)
    // A count that went down without a capture.state (a new exporter): all of it is new.
    events.emit('capture.tick', withExport(captureTick('eth0', 5, counts), 1))
    expect(await value('flowscope_flow_export_records_total')).toBe(70)
    metrics.close()
  })
})
