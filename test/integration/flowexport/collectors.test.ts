/**
 * Collectors that misbehave, on loopback (no root needed): the export never holds up the
 * pipeline and every failure is counted.
 * - UDP to a port nobody listens on: the kernel answers ICMP port unreachable; sends fail with
 *   ECONNREFUSED, counted as send errors, and every packet is still aggregated.
 * - A TCP collector that accepts and never reads: the socket fills, whole messages are dropped
 *   and counted, the queue stays within its bound.
 * - A TCP collector that is down at first: connection errors counted, the exporter reconnects
 *   with backoff, and the new session starts with templates and sequence number 0.
 */
import { createSocket } from 'node:dgram'
import { createServer, type Server, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { FlowExporter } from '../../../electron/shared/flowexport/exporter'
import { parseCollectorUrl, type CollectorSpec } from '../../../electron/shared/flowexport/options'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { ether, ipv4, udp } from '../../unit/decode/frames'
import { decodeMessage, type Templates } from '../../unit/flowexport/decode'

const spec = (url: string): CollectorSpec => {
  const p = parseCollectorUrl(url)
  if (!p.ok) throw new Error(p.message)
  return p.value
}

/** nFlows one-packet UDP flows per capture second for secs seconds, all ending by idle timeout. */
function feed(agg: Aggregator, nFlows: number, secs: number, t0 = 1_700_000_000): number {
  let packets = 0
  for (let s = 0; s < secs; s++) {
    for (let i = 0; i < nFlows; i++) {
      const f = new Uint8Array(
        ether(
          0x0800,
          ipv4(udp(1024 + (i % 60000), 9000 + s, 32), {
            src: `10.${s & 255}.${(i >> 8) & 255}.${i & 255}`,
            dst: '10.200.0.1',
            proto: 17,
          }),
        ),
      )
      agg.add((t0 + s) * 1e6 + i, f, f.length)
      packets++
    }
  }
  agg.advance((t0 + secs + 5) * 1e6)
  return packets
}

const freePort = async (): Promise<number> => {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

const listen = (server: Server, port = 0) =>
  new Promise<number>((r) =>
    server.listen(port, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  )

describe('collectors that are down or slow', () => {
  it('UDP collector down (ICMP port unreachable): errors counted, capture unaffected', async () => {
    const port = await freePort()
    const exporter = new FlowExporter({
      collectors: [spec(`ipfix://127.0.0.1:${port}`)],
      idleTimeoutS: 1,
    })
    const agg = new Aggregator({ linkType: 1 })
    agg.attachExport(exporter)
    let packets = 0
    // Several rounds with turns of the event loop between them, as the pipeline yields.
    for (let round = 0; round < 5; round++) {
      packets += feed(agg, 2000, 2, 1_700_000_000 + round * 10)
      await new Promise((r) => setTimeout(r, 20))
    }
    agg.finishExport()
    await exporter.close(2000)
    expect(agg.snapshot(0).packets).toBe(packets)
    const s = exporter.stats()
    console.log(
      'UDP collector down:',
      JSON.stringify({ ...s, collectors: undefined }),
      s.collectors[0]!.lastError,
    )
    expect(s.records).toBe(packets)
    expect(s.sendErrors).toBeGreaterThan(0)
    expect(s.collectors[0]!.lastError).toBe('ECONNREFUSED')
    expect(exporter.pendingMessages()).toBe(0)
  }, 30_000)

  it('TCP collector that never reads: messages dropped and counted, queue bounded', async () => {
    const conns: Socket[] = []
    const server = createServer((c) => {
      c.pause() // accept, never read
      conns.push(c)
    })
    const port = await listen(server)
    const maxQueue = 64
    const exporter = new FlowExporter({
      collectors: [spec(`ipfix+tcp://127.0.0.1:${port}`)],
      idleTimeoutS: 1,
      maxQueue,
    })
    const agg = new Aggregator({ linkType: 1, maxFlows: 200_000 })
    agg.attachExport(exporter)
    for (let i = 0; i < 50 && !exporter.stats().collectors[0]!.connected; i++)
      await new Promise((r) => setTimeout(r, 20))
    let packets = 0
    for (let round = 0; round < 10; round++) {
      packets += feed(agg, 20_000, 1, 1_700_000_000 + round * 10)
      expect(exporter.pendingMessages()).toBeLessThanOrEqual(maxQueue)
      await new Promise((r) => setTimeout(r, 10))
    }
    const s = exporter.stats()
    console.log('TCP collector not reading:', JSON.stringify({ ...s, collectors: undefined }))
    expect(agg.snapshot(0).packets).toBe(packets)
    expect(s.records).toBe(packets)
    expect(s.dropped).toBeGreaterThan(0)
    expect(s.collectors[0]!.messages).toBeGreaterThan(s.messagesSent)
    await exporter.close(200) // gives up on the stuck socket instead of waiting for it
    for (const c of conns) c.destroy()
    server.close()
  }, 60_000)

  it('TCP collector down at first: errors counted, reconnects, templates and sequence 0 again', async () => {
    const probe = createServer()
    const port = await listen(probe)
    await new Promise((r) => probe.close(r))
    const exporter = new FlowExporter({
      collectors: [spec(`ipfix+tcp://127.0.0.1:${port}`)],
      idleTimeoutS: 1,
    })
    const agg = new Aggregator({ linkType: 1 })
    agg.attachExport(exporter)
    feed(agg, 10, 1) // nobody listening yet: dropped
    await new Promise((r) => setTimeout(r, 700))
    expect(exporter.stats().sendErrors).toBeGreaterThan(0)
    expect(exporter.stats().dropped).toBeGreaterThan(0)
    const received: Buffer[] = []
    const server = createServer((c) => c.on('data', (d) => received.push(d)))
    await listen(server, port)
    for (let i = 0; i < 200 && !exporter.stats().collectors[0]!.connected; i++)
      await new Promise((r) => setTimeout(r, 20))
    expect(exporter.stats().collectors[0]!.connected).toBe(true)
    const n = feed(agg, 30, 1, 1_700_000_100)
    agg.finishExport()
    await exporter.close(2000)
    await new Promise((r) => setTimeout(r, 100))
    server.close()
    // Split the stream into messages by their length field and decode them.
    const stream = Buffer.concat(received)
    const t: Templates = new Map()
    const msgs = []
    for (let p = 0; p < stream.length;) {
      const len = stream.readUInt16BE(p + 2)
      msgs.push(decodeMessage(stream.subarray(p, p + len), t))
      p += len
    }
    expect(msgs[0]!.templates.length).toBe(2)
    expect(msgs[0]!.sequence).toBe(0)
    expect(msgs.slice(1).every((m) => m.templates.length === 0)).toBe(true) // once per session
    expect(msgs.reduce((k, m) => k + m.records.length, 0)).toBe(n)
  }, 30_000)
})
