/**
 * Flow export from a live UI capture, end to end (root, a build, nfcapd/nfdump, tshark, tcpdump,
 * iperf3; skipped with the reason otherwise). The engine's Monitor runs in this process; its
 * capture worker (the built out/main/capture.js) runs inside test namespace A, where it captures
 * on the veth, and nfcapd listens on A's loopback, so the export never crosses the captured link.
 * - flowexport.set pointing at nfcapd, then a capture: nfdump's totals per 5-tuple and direction
 *   equal those tshark computes from a tcpdump running beside it on the same interface with the
 *   same filter (packets, and IP-layer bytes: ip.len / ipv6.plen + 40, what octetDeltaCount
 *   counts), and the capture's own per-direction packets; its own bytes are frame lengths, so
 *   they are nfdump's bytes plus 14 (the Ethernet header) per packet.
 * - a collector that is down (nothing listens: ICMP port unreachable), set while the capture
 *   runs: the capture restarts with it, ticks keep their pace (none skipped), every packet is
 *   still counted (against tcpdump), and the errors show in the tick's health and in /metrics.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CaptureTick } from '../../../common/contract'
import { dispatch } from '../../../electron/engine/api'
import { createMetrics } from '../../../electron/engine/metrics'
import { Monitor } from '../../../electron/engine/monitor'
import type { WorkerChannel, WorkerLauncher } from '../../../electron/engine/workers/launcher'
import { Netns, hasCommand, isRoot } from '../../support/netns'
import { FakeSysNet } from '../../unit/fakes'
import { samples } from '../../unit/metrics/helpers'
import { WORKER } from '../capture/helpers'
import { collect, compare, key, sum, tsharkTotals, type Totals } from './helpers'

function missing(): string | null {
  if (!isRoot) return 'not root (network namespaces, live capture)'
  if (!existsSync(WORKER)) return 'not built (npx electron-vite build)'
  for (const tool of ['ip', 'nfcapd', 'nfdump', 'tshark', 'tcpdump', 'iperf3', 'ping'])
    if (!hasCommand(tool)) return `${tool} not installed`
  return null
}
const skip = missing()
if (skip) console.warn(`flowexport/live.test.ts skipped: ${skip}`)

const net = new Netns('fx2', '10.92.0', 'fd92')
const ctx = { transport: 'websocket' } as const
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** What both the capture and tcpdump see: our traffic only (no ARP, no neighbour discovery). */
const FILTER = `(ip and host ${net.addrB}) or (ip6 and (tcp or udp) and host ${net.addr6B})`

/** The built capture worker, forked into namespace `ns` (ip netns exec keeps the IPC channel). */
function nsLauncher(ns: string): WorkerLauncher {
  return () => {
    const child = fork(WORKER, [], {
      execPath: 'ip',
      execArgv: ['netns', 'exec', ns, process.execPath],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    const exits: Array<(code: number | null, reason: string | null) => void> = []
    child.on('exit', (code, signal) => exits.forEach((h) => h(code, signal)))
    return {
      get pid() {
        return child.pid
      },
      postMessage: (m) => {
        if (child.connected) child.send(m as never)
      },
      onMessage: (h) => void child.on('message', h),
      onExit: (h) => void exits.push(h),
      kill: () => void child.kill('SIGKILL'),
    } satisfies WorkerChannel
  }
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code)),
  )

/** tcpdump on A's veth beside the capture; stop() ends it and returns its stderr. */
async function tcpdump(pcap: string) {
  const child = net.spawn(net.a, [
    'tcpdump',
    '-i',
    net.vethA,
    '-s',
    '128',
    '-U',
    '-w',
    pcap,
    FILTER,
  ])
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  for (let i = 0; i < 100 && !err.includes('listening on'); i++) await sleep(50)
  return {
    stop: async () => {
      child.kill('SIGINT')
      await exited(child)
      return err
    },
  }
}

/** TCP (iperf3, IPv4), UDP (iperf3, IPv6) and ICMP echo (IPv4) from A to B, without blocking. */
async function traffic(seconds: number, port: number) {
  const servers = [port, port + 1].map((p) =>
    net.spawn(net.b, ['iperf3', '-s', '-1', '-p', String(p)]),
  )
  await sleep(400)
  const clients = [
    ['iperf3', '-c', net.addrB, '-p', String(port), '-t', String(seconds), '-b', '10M'],
    [
      'iperf3',
      '-c',
      net.addr6B,
      '-p',
      String(port + 1),
      '-u',
      '-t',
      String(seconds),
      '-b',
      '4M',
      '-l',
      '1000',
    ],
    ['ping', '-q', '-i', '0.02', '-c', String(seconds * 50), net.addrB],
  ].map((cmd) => net.spawn(net.a, cmd))
  await Promise.all([...clients, ...servers].map(exited))
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 }

/** The capture's own per-direction packets and frame bytes, from its last tick. */
function captureTotals(t: CaptureTick): Totals {
  const out: Totals = new Map()
  for (const c of t.snapshot.conversations) {
    const p = PROTO_NUM[c.protocol] ?? Number(c.protocol)
    const put = (k: string, packets: number, bytes: number) =>
      packets > 0 && out.set(k, { packets, bytes, records: 1 })
    put(
      key(p, c.address_a, c.port_a ?? 0, c.address_b, c.port_b ?? 0),
      c.packets_a_to_b,
      c.bytes_a_to_b,
    )
    put(
      key(p, c.address_b, c.port_b ?? 0, c.address_a, c.port_a ?? 0),
      c.packets_b_to_a,
      c.bytes_b_to_a,
    )
  }
  return out
}

describe.skipIf(skip !== null)('flow export from a live capture (serve / desktop setting)', () => {
  let dir = ''
  let monitor: Monitor
  const ticks: Array<{ at: number; tick: CaptureTick }> = []
  const basePort = 23000 + (process.pid % 1000) * 4

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fsd-flowexport-live-'))
    net.create()
    monitor = new Monitor({ sysnet: new FakeSysNet(), launcher: nsLauncher(net.a), restart: false })
    monitor.events.on('capture.tick', (tick) => ticks.push({ at: Date.now(), tick }))
  })
  afterAll(async () => {
    await monitor?.stop()
    net.destroy()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it("nfdump totals equal tshark on a parallel tcpdump, and the capture's own totals", async () => {
    const port = basePort
    const set = await dispatch(
      monitor.handlers,
      'flowexport.set',
      { enabled: true, collectors: [`ipfix://127.0.0.1:${port}`] },
      ctx,
    )
    expect(set).toMatchObject({ ok: true, value: { enabled: true, idle_timeout_s: 15 } })
    const pcap = join(dir, 'beside.pcap')
    let dump = ''
    let last: CaptureTick | undefined
    const { totals, log } = await collect(
      dir,
      port,
      async () => {
        const td = await tcpdump(pcap)
        await monitor.capture.start(net.vethA, FILTER)
        ticks.length = 0
        await sleep(500)
        await traffic(2, 5301)
        await sleep(1600) // two ticks after the last packet
        last = ticks.at(-1)?.tick
        await monitor.capture.stop() // the worker reports every flow left, then closes
        dump = await td.stop()
      },
      net.in(net.a),
    )
    expect(dump).toMatch(/^0 packets dropped by kernel/m)
    expect(log).toMatch(/Sequence Errors: 0/)
    const ref = tsharkTotals(pcap)
    const ours = captureTotals(last!)
    compare(totals, ref)
    // The capture's own view: same directions and packets; bytes = IP bytes + 14 per frame.
    expect([...ours.keys()].sort()).toEqual([...ref.keys()].sort())
    for (const [k, v] of ref) {
      expect(ours.get(k)?.packets, k).toBe(v.packets)
      expect(ours.get(k)?.bytes, k).toBe(v.bytes + 14 * v.packets)
    }
    const h = last!.health!
    expect(h).toMatchObject({ dropped_kernel: 0, export: { send_errors: 0, dropped: 0 } })
    expect(h.export!.collectors).toEqual([
      { url: `ipfix://127.0.0.1:${port}`, state: 'up', last_error: null },
    ])
    const s = sum(totals)
    console.log(
      `live export: nfdump ${totals.size} directions ${s.p} packets ${s.b} bytes (${s.r} records); ` +
        `tshark ${ref.size} directions ${sum(ref).p} packets ${sum(ref).b} bytes; ` +
        `capture ${last!.snapshot.packets} packets; last tick export ${JSON.stringify({ ...h.export, collectors: undefined })}`,
    )
  }, 60_000)

  it('a collector that is down: ticks at pace, every packet counted, errors in health and /metrics', async () => {
    const metrics = createMetrics({ events: monitor.events, counters: () => null })
    const down = basePort + 2 // nobody listens there in A: ICMP port unreachable
    await dispatch(monitor.handlers, 'flowexport.set', { enabled: false, collectors: [] }, ctx)
    const pcap = join(dir, 'down.pcap')
    const td = await tcpdump(pcap)
    await monitor.capture.start(net.vethA, FILTER)
    const pid = monitor.capture.pid
    // Turned on while capturing: the capture restarts with the exporter.
    const set = await dispatch(
      monitor.handlers,
      'flowexport.set',
      {
        enabled: true,
        collectors: [`ipfix://127.0.0.1:${down}`],
        active_timeout_s: 1,
        idle_timeout_s: 1,
      },
      ctx,
    )
    expect(set.ok).toBe(true)
    expect(monitor.capture.pid).not.toBe(pid)
    expect(monitor.capture.state()).toMatchObject({ active: true, iface: net.vethA })
    ticks.length = 0
    await traffic(4, 5311)
    await sleep(1600)
    await monitor.capture.stop()
    await td.stop()
    const last = ticks.at(-1)!.tick
    // Pace: one tick a second, none merged, none late.
    const gaps = ticks.slice(1).map((t, i) => t.at - ticks[i]!.at)
    console.log(`collector down: ${ticks.length} ticks, gaps ${gaps.join(' ')} ms`)
    expect(ticks.length).toBeGreaterThanOrEqual(5)
    expect(ticks.every((t) => t.tick.skipped === 0)).toBe(true)
    expect(Math.max(...gaps)).toBeLessThan(1500)
    // Every packet tcpdump saw, the capture counted.
    expect(last.snapshot.packets).toBe(sum(tsharkTotals(pcap)).p)
    const e = last.health!.export!
    expect(e.records).toBeGreaterThan(0)
    expect(e.send_errors).toBeGreaterThan(0)
    expect(e.collectors).toEqual([
      { url: `ipfix://127.0.0.1:${down}`, state: 'down', last_error: 'ECONNREFUSED' },
    ])
    const m = samples(await metrics.text())
    expect(m.get('flowscope_flow_export_send_errors_total')).toBe(e.send_errors)
    expect(m.get('flowscope_flow_export_records_total')).toBe(e.records)
    expect(m.get('flowscope_flow_export_messages_total')).toBe(e.messages)
    expect(m.get('flowscope_flow_export_dropped_total')).toBe(e.dropped)
    metrics.close()
    const promtool = hasCommand('promtool')
      ? spawnSync('promtool', ['check', 'metrics'], {
          input: await metrics.text(),
          encoding: 'utf8',
        })
      : null
    if (promtool) expect(promtool.stdout + promtool.stderr).toBe('')
    console.log(`collector down: last tick export ${JSON.stringify(e)}`)
  }, 60_000)
})
