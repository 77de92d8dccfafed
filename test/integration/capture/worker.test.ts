/**
 * The capture worker through CaptureClient (built entry out/main/capture.js): file replay gives
 * the same conversations as in-process analysis; live capture on loopback sends one validated
 * snapshot per tick; failures arrive as data; a parent that stops acknowledging gets at most two
 * ticks in flight, the rest are skipped (merged into the next).
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CaptureClient } from '../../../electron/engine/capture/client'
import { FromWorker, type TickMessage } from '../../../electron/shared/protocol/capture'
import { openFile } from '../../../electron/shared/capture/libpcap-source'
import {
  aggregate,
  allConversations,
  drain,
  FILE_IDLE_TIMEOUT_S,
} from '../../../electron/shared/capture/pipeline'
import { pcapFile, udp4 } from '../../unit/capture/pcap-file'
import { WORKER, ownUdpPort, unavailable } from './helpers'

const skip = unavailable({})
const skipLive = skip ?? unavailable({ root: true })
if (skip) console.warn(`capture/worker.test.ts skipped: ${skip}`)
else if (skipLive) console.warn(`capture/worker.test.ts live parts skipped: ${skipLive}`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-worker-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(skip !== null)('capture worker', () => {
  it('replays a file with the same conversations as in-process analysis', async () => {
    const frames = Array.from({ length: 60_000 }, (_, i) => ({
      tsUs: T0 + i * 10,
      data: udp4('10.0.0.1', `10.0.${i % 7}.2`, 1000 + (i % 13), 53),
    }))
    const path = join(dir, 'replay.pcap')
    writeFileSync(path, pcapFile(frames))
    const client = CaptureClient.start(
      { source: { kind: 'file', path }, tickMs: 50, finalConversations: true },
      { workerPath: WORKER },
    )
    const started = new Promise((r) => client.once('started', r))
    const end = await client.done()
    expect(await started).toMatchObject({ kind: 'file', link_type: 1, link_type_name: 'EN10MB' })
    expect(end.type).toBe('ended')
    if (end.type !== 'ended') return
    expect(end.reason).toBe('eof')
    expect(end.packets).toBe(frames.length)
    expect(end.snapshot.packets).toBe(frames.length)
    const source = openFile(path)
    const agg = aggregate(source, { idleTimeoutS: FILE_IDLE_TIMEOUT_S })
    await drain(source, agg.aggregator)
    source.close()
    expect(end.conversations).toEqual(allConversations(agg))
  })

  it('reports failures as data: missing file, missing interface', async () => {
    const missing = await CaptureClient.start(
      { source: { kind: 'file', path: join(dir, 'nope.pcap') } },
      { workerPath: WORKER },
    ).done()
    expect(missing).toMatchObject({ type: 'error', ok: false, code: 'NO_SUCH_FILE' })
    const iface = await CaptureClient.start(
      { source: { kind: 'live', iface: 'fscnope0' } },
      { workerPath: WORKER },
    ).done()
    expect(iface.type).toBe('error')
    expect(['NO_SUCH_DEVICE', 'PERMISSION_DENIED']).toContain(
      iface.type === 'error' ? iface.code : '',
    )
  })

  it.skipIf(skipLive !== null)(
    'captures live on loopback: one snapshot per tick, all flows at the end',
    async () => {
      const udp = await ownUdpPort()
      const port = udp.port
      const client = CaptureClient.start(
        {
          source: { kind: 'live', iface: 'lo', filter: `udp and port ${port}` },
          tickMs: 100,
          finalConversations: true,
        },
        { workerPath: WORKER },
      )
      const ticks: TickMessage[] = []
      client.on('tick', (t) => ticks.push(t))
      await new Promise((r) => client.once('started', r))
      await udp.send(40, 32)
      await sleep(400)
      const end = await client.stop()
      udp.close()
      expect(end.type).toBe('ended')
      if (end.type !== 'ended') return
      expect(end.reason).toBe('signal')
      expect(ticks.length).toBeGreaterThanOrEqual(3)
      expect(ticks.map((t) => t.seq)).toEqual(ticks.map((_, i) => i + 1))
      expect(ticks.at(-1)!.snapshot.packets).toBe(40)
      expect(end.stats).toMatchObject({ dropped_kernel: 0 })
      const conv = end.conversations!.find((c) => c.port_b === port)
      expect(conv).toMatchObject({
        protocol: 'udp',
        address_a: '127.0.0.1',
        address_b: '127.0.0.1',
        packets_a_to_b: 40,
        packets_b_to_a: 0,
      })
    },
  )

  it.skipIf(skipLive !== null)(
    'keeps at most two unacknowledged ticks in flight and skips the rest',
    async () => {
      const child = fork(WORKER, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      })
      const ticks: TickMessage[] = []
      child.on('message', (raw) => {
        const m = FromWorker.parse(raw)
        if (m.type === 'tick') ticks.push(m)
      })
      const udp = await ownUdpPort()
      child.send({
        type: 'start',
        source: { kind: 'live', iface: 'lo', filter: `udp and port ${udp.port}` },
        tickMs: 50,
      })
      await sleep(700)
      expect(ticks).toHaveLength(2)
      child.send({ type: 'ack', seq: 2 })
      await sleep(300)
      expect(ticks.length).toBeGreaterThan(2)
      expect(ticks[2]!.skipped).toBeGreaterThan(0)
      child.send({ type: 'stop' })
      await new Promise((r) => child.on('exit', r))
      udp.close()
    },
  )
})
