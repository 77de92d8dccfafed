/**
 * The capture worker through the engine's WorkerHost (built entry out/main/capture.js): file
 * replay gives the same conversations as in-process analysis, and its per-tick deltas add up to
 * them; history built from the deltas reports exactly what `flowscope analyze` reports; live
 * capture on loopback sends one validated snapshot per tick; failures arrive as data; a host that
 * stops acknowledging gets at most two ticks in flight, the rest merge into the next; a worker
 * killed with SIGKILL is reported and restarted; concurrent starts leave exactly one worker
 * process and stop leaves none.
 */
import { fork, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CaptureState } from '../../../common/contract'
import { captureHost } from '../../../electron/engine/capture/worker'
import { Monitor } from '../../../electron/engine/monitor'
import { WorkerStartError } from '../../../electron/engine/workers/host'
import { forkLauncherAt } from '../../../electron/engine/workers/launcher'
import { Attribution } from '../../../electron/shared/attribution'
import { openFile } from '../../../electron/shared/capture/libpcap-source'
import {
  aggregate,
  allConversations,
  drain,
  FILE_IDLE_TIMEOUT_S,
  type FlowDelta,
} from '../../../electron/shared/capture/pipeline'
import {
  FromWorker,
  type BusiestMessage,
  type TickMessage,
} from '../../../electron/shared/protocol/capture'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { Recorder } from '../../../electron/shared/store/recorder'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { FakeSysNet } from '../../unit/fakes'
import { pcapFile, udp4 } from '../../unit/capture/pcap-file'
import { ROOT, WORKER, flowscope, ownUdpPort, unavailable } from './helpers'

// The shared corpus and tools sit beside the checkout (or beside the worktrees' folder).
const SHARED =
  [join(ROOT, '..', 'shared'), join(ROOT, '..', '..', 'shared')].find((d) =>
    existsSync(join(d, 'tools', 'mkpcap.sh')),
  ) ?? join(ROOT, '..', 'shared')
const CORPUS = join(SHARED, 'corpus', 'tcpdump-tests')
const MKPCAP = join(SHARED, 'tools', 'mkpcap.sh')

const skip = unavailable({})
const skipLive = skip ?? unavailable({ root: true })
if (skip) console.warn(`capture/worker.test.ts skipped: ${skip}`)
else if (skipLive) console.warn(`capture/worker.test.ts live parts skipped: ${skipLive}`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-worker-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const launcher = forkLauncherAt(() => WORKER)
const key = (c: {
  protocol: string
  address_a: string
  port_a: number | null
  address_b: string
  port_b: number | null
}) => `${c.protocol}|${c.address_a}|${c.port_a}|${c.address_b}|${c.port_b}`

/** Runs the worker over a file with history on; returns the ended message and every delta. */
async function replay(path: string, finalConversations = true) {
  const host = captureHost({ launcher, restart: false })
  const deltas: FlowDelta[] = []
  let ticks = 0
  host.on('tick', (t) => {
    ticks++
    deltas.push(...(t.deltas ?? []))
  })
  host.on('ended', (e) => deltas.push(...(e.deltas ?? [])))
  const started = await host.start({
    type: 'start',
    source: { kind: 'file', path },
    tickMs: 50,
    finalConversations,
    record: true,
  })
  const end = await host.done
  return { started, end, deltas, ticks }
}

/** Worker processes (children of this process) running the built capture entry. */
function captureWorkers(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (ppid === process.pid && cmd.includes(WORKER)) pids.push(Number(entry))
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids
}

describe.skipIf(skip !== null)('capture worker', () => {
  it('replays a file: conversations as in-process analysis, and deltas that add up to them', async () => {
    const frames = Array.from({ length: 60_000 }, (_, i) => ({
      tsUs: T0 + i * 10,
      data: udp4('10.0.0.1', `10.0.${i % 7}.2`, 1000 + (i % 13), 53),
    }))
    const path = join(dir, 'replay.pcap')
    writeFileSync(path, pcapFile(frames))
    const { started, end, deltas } = await replay(path)
    expect(started).toMatchObject({ kind: 'file', link_type: 1, link_type_name: 'EN10MB' })
    expect(end?.type).toBe('ended')
    if (end?.type !== 'ended') return
    expect(end.reason).toBe('eof')
    expect(end.packets).toBe(frames.length)
    expect(end.snapshot.packets).toBe(frames.length)
    const source = openFile(path)
    const agg = aggregate(source, { idleTimeoutS: FILE_IDLE_TIMEOUT_S })
    await drain(source, agg.aggregator)
    source.close()
    // The worker says who is talking (a file: service, country and network; no process).
    const expected = new Attribution().annotate(allConversations(agg))
    expect(end.conversations).toEqual(expected)
    // Deltas: summed per conversation they give the totals; each conversation ends exactly once.
    const sums = new Map<string, FlowDelta>()
    for (const d of deltas) {
      const s = sums.get(key(d))
      if (!s) sums.set(key(d), { ...d })
      else {
        expect(s.ended).toBe(false)
        s.packets_a_to_b += d.packets_a_to_b
        s.bytes_a_to_b += d.bytes_a_to_b
        s.packets_b_to_a += d.packets_b_to_a
        s.bytes_b_to_a += d.bytes_b_to_a
        s.last_seen_us = Math.max(s.last_seen_us, d.last_seen_us)
        s.ended = d.ended
      }
    }
    expect(sums.size).toBe(expected.length)
    for (const c of expected) {
      expect(sums.get(key(c))).toMatchObject({
        packets_a_to_b: c.packets_a_to_b,
        bytes_a_to_b: c.bytes_a_to_b,
        packets_b_to_a: c.packets_b_to_a,
        bytes_b_to_a: c.bytes_b_to_a,
        first_seen_us: c.first_seen_us,
        last_seen_us: c.last_seen_us,
        ended: true,
      })
    }
  })

  it('sends no deltas at all when history is off', async () => {
    const path = join(dir, 'replay.pcap')
    const host = captureHost({ launcher, restart: false })
    const seen: unknown[] = []
    host.on('tick', (t) => seen.push(t.deltas))
    host.on('ended', (e) => seen.push(e.deltas))
    await host.start({ type: 'start', source: { kind: 'file', path }, tickMs: 50 })
    await host.done
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((d) => d === null)).toBe(true)
  })

  it('computes the busiest hosts and conversations only while asked to', async () => {
    // 30 conversations in the file's second second, conversation i with i+1 packets; one last
    // packet half a second into the third closes that second (rates cover complete seconds).
    const S = 1_000_000
    const frames = [
      ...Array.from({ length: 30 }, (_, i) =>
        Array.from({ length: i + 1 }, (_, p) => ({
          tsUs: T0 + S + i * 1000 + p * 10,
          data: udp4('10.0.0.1', `10.0.1.${i + 1}`, 1000 + i, 53),
        })),
      ).flat(),
      { tsUs: T0 + 2.5 * S, data: udp4('10.0.2.1', '10.0.2.2', 9, 9) },
    ]
    const path = join(dir, 'busiest.pcap')
    writeFileSync(path, pcapFile(frames))
    const host = captureHost({ launcher, restart: false })
    const ticks: TickMessage[] = []
    host.on('tick', (t) => ticks.push(t))
    const ask = (n: number) => {
      const m: BusiestMessage = { type: 'busiest', n }
      host.send(m)
    }
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await sleep(10)
      expect(ok()).toBe(true)
    }
    try {
      // A file opened in the UI: held open after its end, ticking until stopped.
      await host.start({ type: 'start', source: { kind: 'file', path }, tickMs: 50, hold: true })
      await until(() => ticks.length >= 3)
      expect(ticks.every((t) => t.snapshot.busiest === undefined)).toBe(true)
      ask(5)
      await until(() => ticks.at(-1)?.snapshot.busiest !== undefined)
      const b = ticks.at(-1)!.snapshot.busiest!
      // The whole table's five busiest, not the top list's: conversations 29..25.
      expect(b.conversations.map((c) => c.address_b)).toEqual(
        ['30', '29', '28', '27', '26'].map((x) => `10.0.1.${x}`),
      )
      expect(b.hosts[0]!.address).toBe('10.0.0.1')
      ask(0)
      const from = ticks.length + 2 // a tick already on its way may still carry them
      await until(() => ticks.length > from)
      expect(ticks.slice(from).every((t) => t.snapshot.busiest === undefined)).toBe(true)
    } finally {
      await host.stop()
    }
  })

  const MK = join(dir, 'mk.pcap')
  beforeAll(() => {
    if (skipLive || !existsSync(MKPCAP)) return
    spawnSync('bash', [MKPCAP, MK, '3', '20M', '128'], { timeout: 60_000 })
  }, 90_000)

  it.each([
    ['afs.pcap', join(CORPUS, 'afs.pcap')],
    ['pim-packet-assortment.pcap', join(CORPUS, 'pim-packet-assortment.pcap')],
    ['mkpcap (iperf3 TCP + UDP, ping, HTTP between namespaces)', MK],
  ])(
    'history built from the worker deltas reports what analyze reports: %s',
    async (name, pcap) => {
      if (!existsSync(pcap)) {
        console.warn(`${name}: skipped (${pcap} not there: no corpus, or mkpcap needs root)`)
        return
      }
      const { deltas, end } = await replay(pcap, false)
      expect(end?.type).toBe('ended')
      const db = join(dir, `${name.split(' ')[0]}.db`)
      const writer = new HistoryWriter(openHistoryDb(db), db, { flush_ms: 0 })
      new Recorder(writer).deltas(deltas)
      writer.flush()
      expect(writer.close()).toBeNull()
      const analyzed = flowscope(['analyze', pcap, '--by', 'conversation', '--format', 'csv'])
      expect(analyzed.code).toBe(0)
      const stored = flowscope(['report', '--db', db, '--by', 'conversation', '--format', 'csv'])
      expect(stored.stderr).toBe('')
      const rows = (csv: string) => csv.split('\n').filter(Boolean)
      const [ha, ...a] = rows(analyzed.stdout)
      const [hb, ...b] = rows(stored.stdout)
      expect(hb).toBe(ha)
      expect(b.length).toBeGreaterThan(0)
      expect(b.sort()).toEqual(a.sort())
    },
    90_000,
  )

  it('reports failures as data: missing file, missing interface', async () => {
    const fail = async (
      source: { kind: 'file'; path: string } | { kind: 'live'; iface: string },
    ) => {
      const host = captureHost({ launcher })
      const err = await host.start({ type: 'start', source }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WorkerStartError)
      await host.done
      expect(host.state.state).toBe('failed')
      return (err as WorkerStartError).failure
    }
    expect(await fail({ kind: 'file', path: join(dir, 'nope.pcap') })).toMatchObject({
      type: 'error',
      code: 'NO_SUCH_FILE',
    })
    expect(['NO_SUCH_DEVICE', 'PERMISSION_DENIED']).toContain(
      (await fail({ kind: 'live', iface: 'fscnope0' })).code,
    )
  })

  it.skipIf(skipLive !== null)(
    'captures live on loopback: one snapshot per tick, all flows at the end',
    async () => {
      const udp = await ownUdpPort()
      const port = udp.port
      const host = captureHost({ launcher })
      const ticks: TickMessage[] = []
      host.on('tick', (t) => ticks.push(t))
      await host.start({
        type: 'start',
        source: { kind: 'live', iface: 'lo', filter: `udp and port ${port}` },
        tickMs: 100,
        finalConversations: true,
      })
      await udp.send(40, 32)
      await sleep(400)
      const end = await host.stop()
      udp.close()
      expect(host.pid).toBeUndefined()
      expect(end?.type).toBe('ended')
      if (end?.type !== 'ended') return
      expect(end.reason).toBe('signal')
      expect(ticks.length).toBeGreaterThanOrEqual(3)
      expect(ticks.map((t) => t.seq)).toEqual(ticks.map((_, i) => i + 1))
      expect(ticks.at(-1)!.snapshot.packets).toBe(40)
      expect(end.stats).toMatchObject({ dropped_kernel: 0 })
      expect(end.conversations!.find((c) => c.port_b === port)).toMatchObject({
        protocol: 'udp',
        address_a: '127.0.0.1',
        address_b: '127.0.0.1',
        packets_a_to_b: 40,
        packets_b_to_a: 0,
      })
    },
  )

  it.skipIf(skipLive !== null)(
    'keeps at most two unacknowledged ticks in flight; later deltas merge into the next tick',
    async () => {
      const child = fork(WORKER, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      })
      const ticks: TickMessage[] = []
      let started: () => void
      const open = new Promise<void>((r) => (started = r))
      child.on('message', (raw) => {
        const m = FromWorker.parse(raw)
        if (m.type === 'tick') ticks.push(m)
        if (m.type === 'started') started()
      })
      const udp = await ownUdpPort()
      child.send({
        type: 'start',
        source: { kind: 'live', iface: 'lo', filter: `udp and port ${udp.port}` },
        tickMs: 50,
        record: true,
      })
      // On a busy machine the worker may take longer than a tick or two to open the source.
      await open
      await sleep(300)
      await udp.send(10, 16)
      await sleep(400)
      expect(ticks).toHaveLength(2)
      child.send({ type: 'ack', seq: 2 })
      await sleep(300)
      expect(ticks.length).toBeGreaterThan(2)
      expect(ticks[2]!.skipped).toBeGreaterThan(0)
      // The packets sent while ticks were skipped arrive as one merged delta.
      const moved = ticks.flatMap((t) => t.deltas ?? []).filter((d) => d.port_b === udp.port)
      expect(moved).toHaveLength(1)
      expect(moved[0]).toMatchObject({ packets_a_to_b: 10, ended: false })
      child.send({ type: 'stop' })
      await new Promise((r) => child.on('exit', r))
      udp.close()
    },
  )

  it.skipIf(skipLive !== null)(
    'a worker killed with SIGKILL is reported with the reason and restarted',
    async () => {
      const monitor = new Monitor({
        sysnet: new FakeSysNet(),
        launcher,
        restart: { baseDelayMs: 100 },
      })
      const states: CaptureState[] = []
      monitor.events.on('capture.state', (s) => states.push(s))
      await monitor.capture.start('lo', 'udp and port 9')
      const first = monitor.capture.pid!
      expect(captureWorkers()).toEqual([first])
      process.kill(first, 'SIGKILL')
      for (let i = 0; i < 100 && !(states.at(-1)?.active && monitor.capture.pid !== first); i++)
        await sleep(50)
      const crash = states.find((s) => s.error?.code === 'WORKER_CRASHED')
      expect(crash).toMatchObject({ active: false, iface: 'lo' })
      expect(crash!.error!.message).toMatch(/killed by SIGKILL; restarting in 0.1 s \(attempt 1\)/)
      expect(states.at(-1)).toMatchObject({ active: true, iface: 'lo', error: null })
      const second = monitor.capture.pid!
      expect(second).not.toBe(first)
      expect(captureWorkers()).toEqual([second])
      await monitor.stop()
      expect(captureWorkers()).toEqual([])
    },
    20_000,
  )

  it.skipIf(skipLive !== null)(
    'three concurrent starts leave exactly one worker process; stop leaves none',
    async () => {
      const monitor = new Monitor({ sysnet: new FakeSysNet(), launcher })
      const states: CaptureState[] = []
      monitor.events.on('capture.state', (s) => states.push(s))
      const starts = ['udp and port 9', 'udp and port 10', 'udp and port 11'].map((f) =>
        monitor.capture.start('lo', f),
      )
      const results = await Promise.all(starts)
      expect(results.map((r) => r.filter)).toEqual([
        'udp and port 9',
        'udp and port 10',
        'udp and port 11',
      ])
      expect(captureWorkers()).toEqual([monitor.capture.pid])
      expect(monitor.capture.state()).toMatchObject({ active: true, filter: 'udp and port 11' })
      // The events tell the truth: start, stop, start, stop, start.
      expect(states.map((s) => s.active)).toEqual([true, false, true, false, true])
      const stop = monitor.capture.stop()
      const again = monitor.capture.stop()
      await Promise.all([stop, again])
      expect(captureWorkers()).toEqual([])
      expect(monitor.capture.state().active).toBe(false)
    },
    20_000,
  )
})
