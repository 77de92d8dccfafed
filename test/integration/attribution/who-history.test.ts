/**
 * Who is talking, in the capture worker's ticks and in history.
 *
 * 1. The built capture worker, started by the UI's LiveCapture inside a network namespace (a
 *    launcher that runs it under `ip netns exec`), names the program and PID of a TCP client
 *    and a UDP sender in its ticks, labels the private range, and, with reverse DNS on (the UI's
 *    default), shows names from a PTR responder in the peer namespace. One PTR answer is held
 *    back 1.5 s: ticks keep coming while it is outstanding. `capture.setResolve(false)` turns
 *    names off mid-capture. The deltas LiveCapture hands history report by process as the
 *    capture's own rows do.
 * 2. `flowscope capture --db` with known programs: `report --by process` equals the capture's
 *    own `--by process` report; the other groupings and formats work over the same history.
 * 3. A file replayed through the worker into history: process empty, "unknown" by process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CaptureTick } from '../../../common/contract'
import type { ConversationRecord } from '../../../common/capture'
import { captureHost } from '../../../electron/engine/capture/worker'
import { EventBus } from '../../../electron/engine/events'
import { LiveCapture } from '../../../electron/engine/live-capture'
import type { WorkerChannel, WorkerLauncher } from '../../../electron/engine/workers/launcher'
import { conversationService } from '../../../electron/shared/attribution'
import type { FlowDelta } from '../../../electron/shared/capture/pipeline'
import { CONVERSATION_REPORT_COLUMNS, processRows } from '../../../electron/shared/report/rows'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { queryHistory } from '../../../electron/shared/store/queries'
import { Recorder } from '../../../electron/shared/store/recorder'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { Netns } from '../../support/netns'
import { pcapFile, udp4 } from '../../unit/capture/pcap-file'
import { csvObjects, flowscope, flowscopeAsync, unavailable, WORKER } from '../capture/helpers'

const skip = unavailable({ root: true, tools: ['python3', 'ip', 'ethtool'] })
if (skip) console.warn(`attribution/who-history.test.ts skipped: ${skip}`)

const PROGRAMS = resolve(__dirname, 'programs.py')
const RESPONDER = resolve(__dirname, 'dns-responder.cjs')
const net = new Netns('fsh', '10.84.0', 'fd84')
let dir = ''
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const children: ChildProcess[] = []

beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fsh-'))
  for (const name of ['fshsrv', 'fshcli', 'fshudp', 'fshcli2'])
    symlinkSync('/usr/bin/python3', join(dir, name))
  net.create()
})
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  net.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A process in a namespace whose stdout lines are collected with their arrival time. */
function start(ns: string, cmd: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines: { at: number; text: string }[] = []
  createInterface({ input: child.stdout! }).on('line', (text) =>
    lines.push({ at: Date.now(), text }),
  )
  return {
    child,
    lines,
    async first(n: number): Promise<string[]> {
      for (let i = 0; lines.length < n; i++) {
        if (child.exitCode !== null || i > 100)
          throw new Error(`${cmd.join(' ')}: ${lines.length} lines`)
        await sleep(100)
      }
      return lines.slice(0, n).map((l) => l.text)
    },
  }
}
const program = (ns: string, name: string, args: string[]) =>
  start(ns, [join(dir, name), PROGRAMS, ...args])

/** Starts the built capture worker inside namespace `ns` (IPC passes through `ip netns exec`). */
function launcherIn(ns: string): WorkerLauncher {
  return () => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, WORKER], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    children.push(child)
    const channel: WorkerChannel = {
      get pid() {
        return child.pid
      },
      postMessage: (m) => {
        if (child.connected) child.send(m as never)
      },
      onMessage: (h) => void child.on('message', h),
      onExit: (h) => void child.on('exit', (code, signal) => h(code, signal)),
      kill: () => void child.kill('SIGKILL'),
    }
    return channel
  }
}

const arpa = (v4: string) => `${v4.split('.').reverse().join('.')}.in-addr.arpa`

describe.skipIf(skip !== null)('who is talking, live and in history', () => {
  it('worker ticks name programs, ranges and hosts; history groups them by process', async () => {
    const dns = start(net.b, [
      process.execPath,
      RESPONDER,
      net.addrB,
      '53',
      '1500',
      `${net.addrA}=a.fsh.test`,
      `${net.addrB}=b.fsh.test@slow`,
    ])
    const srv = program(net.b, 'fshsrv', ['server', net.addrB, '7401'])
    await Promise.all([dns.first(1), srv.first(1)])

    const events = new EventBus()
    const ticks: { at: number; tick: CaptureTick }[] = []
    events.on('capture.tick', (tick) => ticks.push({ at: Date.now(), tick }))
    const deltas: FlowDelta[] = []
    const live = new LiveCapture(events, {
      launcher: launcherIn(net.a),
      restart: false,
      tickMs: 200,
      record: () => (d) => deltas.push(...d),
      dnsServers: [net.addrB],
    })
    const state = await live.start(net.vethA)
    expect(state).toMatchObject({ active: true, resolve: true })

    const cli = program(net.a, 'fshcli', ['client', net.addrB, '7401', '3', '1'])
    const udp = program(net.a, 'fshudp', ['udp', net.addrB, '7402', '10'])
    const [cliPid, cliPort] = (await cli.first(2)).map(Number)
    const [udpPid, udpPort] = (await udp.first(2)).map(Number)
    await sleep(4000)
    const off = await live.setResolve(false)
    expect(off.resolve).toBe(false)
    const offAt = Date.now()
    await sleep(1000)
    await live.stop()

    const convs = (t: CaptureTick, port: number) =>
      t.snapshot.conversations.filter((c) => c.port_a === port || c.port_b === port)
    const seen = (port: number) => ticks.flatMap(({ tick }) => convs(tick, port))
    // The client's conversation carries its program, PID and side in the ticks.
    const tcp = seen(cliPort!)
    expect(tcp.length).toBeGreaterThan(3)
    expect(tcp.at(-1)).toMatchObject({
      protocol: 'tcp',
      address_a: net.addrA,
      process: 'fshcli',
      pid: cliPid,
      process_side: 'a',
      range_a: 'private',
      range_b: 'private',
      country_a: null,
      asn_b: null,
      service: conversationService('tcp', cliPort!, 7401)?.name ?? null,
    })
    expect(seen(udpPort!).at(-1)).toMatchObject({ protocol: 'udp', process: 'fshudp', pid: udpPid })

    // Names: A's at once, B's 1.5 s later; ticks kept coming while B's answer was held back.
    const named = tcp.find((c) => c.name_a === 'a.fsh.test' && c.name_b === 'b.fsh.test')
    expect(named, JSON.stringify(tcp.slice(-2))).toBeDefined()
    const asked = dns.lines.find((l) => l.text === `query ${arpa(net.addrB)}`)!
    const answered = dns.lines.find((l) => l.text === `answer ${arpa(net.addrB)}`)!
    expect(answered.at - asked.at).toBeGreaterThanOrEqual(1000)
    const during = ticks.filter((t) => t.at > asked.at && t.at < answered.at)
    console.log(
      `PTR held back ${answered.at - asked.at} ms; ${during.length} ticks arrived meanwhile (tick 200 ms)`,
    )
    expect(during.length).toBeGreaterThanOrEqual(3)
    // Names off mid-capture: later ticks carry none.
    const after = ticks.filter((t) => t.at > offAt + 500).flatMap((t) => convs(t.tick, cliPort!))
    expect(after.length).toBeGreaterThan(0)
    for (const c of after) expect({ a: c.name_a, b: c.name_b }).toEqual({ a: null, b: null })

    // The deltas carry the same answers; history files them and groups them by process.
    const path = join(dir, 'live.db')
    const writer = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0 })
    new Recorder(writer).deltas(deltas)
    expect(writer.close()).toBeNull()
    const totals = new Map<string, ConversationRecord>()
    for (const d of deltas) {
      const k = `${d.protocol}|${d.address_a}|${d.port_a}|${d.address_b}|${d.port_b}`
      const t = totals.get(k)
      if (!t) {
        totals.set(k, {
          ...d,
          rate_a_to_b_bps: { s2: 0, s10: 0, s40: 0 },
          rate_b_to_a_bps: { s2: 0, s10: 0, s40: 0 },
          peak_a_to_b_bps: 0,
          peak_b_to_a_bps: 0,
        })
        continue
      }
      t.packets_a_to_b += d.packets_a_to_b
      t.bytes_a_to_b += d.bytes_a_to_b
      t.packets_b_to_a += d.packets_b_to_a
      t.bytes_b_to_a += d.bytes_b_to_a
      t.last_seen_us = d.last_seen_us
      if (d.process)
        Object.assign(t, { process: d.process, pid: d.pid, process_side: d.process_side })
    }
    const db = openHistoryDb(path, { readonly: true })
    try {
      const byProcess = queryHistory(db, {
        from_s: 0,
        to_s: Math.ceil(Date.now() / 1000) + 60,
        by: 'process',
        bucket: null,
        top: null,
      }).rows.map(({ bucket_start: _, ...r }) => r)
      expect(byProcess).toEqual(processRows([...totals.values()]))
      expect(byProcess.map((r) => (r as { process: string }).process)).toEqual(
        expect.arrayContaining(['fshcli', 'fshudp']),
      )
    } finally {
      db.close()
    }
  }, 60_000)

  it("capture --db: report --by process equals the capture's own; every grouping reads", async () => {
    const srv = program(net.b, 'fshsrv', ['server', net.addrB, '7411'])
    await srv.first(1)
    const db = join(dir, 'cli.db')
    const own = join(dir, 'own.csv')
    const capture = flowscopeAsync(
      [
        'capture',
        '-i',
        net.vethA,
        '--duration',
        '6',
        '--db',
        db,
        '--by',
        'process',
        '--format',
        'csv',
        '--out',
        own,
      ],
      net.in(net.a),
    )
    await sleep(1500)
    const cli = program(net.a, 'fshcli', ['client', net.addrB, '7411', '2', '1'])
    const cli2 = program(net.a, 'fshcli2', ['client', net.addrB, '7411', '1', '0'])
    const udp = program(net.a, 'fshudp', ['udp', net.addrB, '7412', '8'])
    const [cliPid] = (await cli.first(2)).map(Number)
    const [cli2Pid] = (await cli2.first(2)).map(Number)
    await udp.first(2)
    const r = await capture.done
    expect(r.code, r.stderr).toBe(0)

    const report = (by: string, format = 'csv') =>
      flowscope([
        'report',
        '--db',
        db,
        '--from',
        '-1h',
        '--to',
        'now',
        '--by',
        by,
        '--format',
        format,
      ])
    const mine = readFileSync(own, 'utf8')
    const stored = report('process')
    expect(stored.code, stored.stderr).toBe(0)
    const lines = (csv: string) => csv.split('\n').filter(Boolean)
    const [ho, ...o] = lines(mine)
    const [hs, ...s] = lines(stored.stdout)
    console.log(`capture --by process:\n${mine}report --by process:\n${stored.stdout}`)
    expect(hs).toBe(ho)
    expect(s.sort()).toEqual(o.sort())
    const procs = csvObjects(stored.stdout)
    expect(procs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ process: 'fshcli', pid: String(cliPid) }),
        expect.objectContaining({ process: 'fshcli2', pid: String(cli2Pid) }),
        expect.objectContaining({ process: 'fshudp' }),
      ]),
    )

    // By conversation: the 22 columns in order; the client's row names its program.
    const conv = report('conversation')
    expect(lines(conv.stdout)[0]).toBe(CONVERSATION_REPORT_COLUMNS.join(','))
    const rows = csvObjects(conv.stdout)
    expect(rows.find((x) => x.process === 'fshcli')).toMatchObject({
      pid: String(cliPid),
      country_a: 'private',
      country_b: 'private',
      name_a: '',
      name_b: '',
    })
    // Every grouping in every format adds up to the same bytes.
    const total = rows.reduce((n, x) => n + Number(x.bytes_a_to_b) + Number(x.bytes_b_to_a), 0)
    for (const by of ['service', 'country', 'asn', 'process']) {
      const json = report(by, 'json')
      expect(json.code, json.stderr).toBe(0)
      const got = JSON.parse(json.stdout) as Record<string, number>[]
      const sum = got.reduce(
        (n, x) =>
          n +
          (by === 'service'
            ? x.bytes!
            : x.bytes_sent! + (by === 'process' ? x.bytes_received! : 0)),
        0,
      )
      // service: bytes of both directions; process: each conversation once (its owner's side);
      // country/asn: every byte is sent by exactly one side.
      expect(sum, by).toBe(total)
      const table = report(by, 'table')
      expect(table.code, table.stderr).toBe(0)
      expect(table.stdout.split('\n')[0]).toMatch(/CONVERSATIONS/)
    }
  }, 60_000)

  it('a file replayed into history: no process ("unknown"), the same 22 columns as analyze', async () => {
    const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000
    const pcap = join(dir, 'file.pcap')
    writeFileSync(
      pcap,
      pcapFile(
        Array.from({ length: 300 }, (_, i) => ({
          tsUs: T0 + i * 1000,
          data: udp4('192.168.1.10', i % 2 ? '8.8.8.8' : '1.1.1.1', 40000 + (i % 3), 53),
        })),
      ),
    )
    const host = captureHost({ launcher: launcherIn(net.a), restart: false })
    const deltas: FlowDelta[] = []
    host.on('tick', (t) => deltas.push(...(t.deltas ?? [])))
    host.on('ended', (e) => deltas.push(...(e.deltas ?? [])))
    await host.start({
      type: 'start',
      source: { kind: 'file', path: pcap },
      tickMs: 50,
      record: true,
    })
    await host.done
    const path = join(dir, 'file.db')
    const writer = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0 })
    new Recorder(writer).deltas(deltas)
    expect(writer.close()).toBeNull()

    const procs = csvObjects(
      flowscope(['report', '--db', path, '--by', 'process', '--format', 'csv']).stdout,
    )
    expect(procs).toEqual([
      expect.objectContaining({ process: 'unknown', pid: '', conversations: '6' }),
    ])
    const stored = flowscope(['report', '--db', path, '--by', 'conversation', '--format', 'csv'])
    const analyzed = flowscope(['analyze', pcap, '--by', 'conversation', '--format', 'csv'])
    const lines = (csv: string) => csv.split('\n').filter(Boolean)
    expect(lines(stored.stdout)[0]).toBe(CONVERSATION_REPORT_COLUMNS.join(','))
    expect(lines(stored.stdout).slice(1).sort()).toEqual(lines(analyzed.stdout).slice(1).sort())
    const rows = csvObjects(stored.stdout)
    expect(rows).toHaveLength(6)
    for (const x of rows) {
      expect(x).toMatchObject({ process: '', pid: '', service: 'domain', country_a: 'private' })
      expect(x.country_b).toMatch(/^[A-Z]{2}$/)
      expect(x.asn_b).toMatch(/^\d+$/)
    }
  }, 60_000)
})
