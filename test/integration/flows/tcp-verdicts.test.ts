/**
 * TCP sequence-analysis verdicts on hand-built streams, checked against Wireshark itself: each
 * scenario is one TCP stream in a pcap written here; tshark's per-stream counts of
 * retransmission (incl. fast and spurious) and out-of-order must equal ours. Needs tshark only.
 */
import { spawnSync, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Aggregator } from '../../../electron/shared/flows/aggregator'
import { ipv4, tcp, u8, type TcpOpts } from '../../unit/decode/frames'

const haveTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0
if (!haveTshark) console.warn('flows/tcp-verdicts.test.ts skipped: tshark not installed')

const MS = 1000
const ISN = 0xffffff00
const c = (n: number) => (ISN + 1 + n) >>> 0

type Step = [dtUs: number, fromClient: boolean, opts: TcpOpts]

/** Handshake (20 ms first RTT) and the client's first 300 bytes. */
const opening: Step[] = [
  [0, true, { flags: 0x02, seq: ISN }],
  [10 * MS, false, { flags: 0x12, seq: 5000, ack: c(0) }],
  [10 * MS, true, { flags: 0x10, seq: c(0), ack: 5001 }],
  [1 * MS, true, { flags: 0x18, seq: c(0), ack: 5001, payload: 200 }],
  [1 * MS, true, { flags: 0x18, seq: c(200), ack: 5001, payload: 100 }],
]

const scenarios: Record<string, Step[]> = {
  inOrder: [...opening, [1 * MS, false, { flags: 0x10, seq: 5001, ack: c(300) }]],
  resent: [
    ...opening,
    [200 * MS, true, { flags: 0x18, seq: c(0), ack: 5001, payload: 200 }],
    [200 * MS, true, { flags: 0x18, seq: c(250), ack: 5001, payload: 100 }],
  ],
  synFinAgain: [
    [0, true, { flags: 0x02, seq: ISN }],
    [1000 * MS, true, { flags: 0x02, seq: ISN }],
    [1 * MS, false, { flags: 0x12, seq: 5000, ack: c(0) }],
    [1000 * MS, false, { flags: 0x11, seq: 5001, ack: c(0) }],
    [1000 * MS, false, { flags: 0x11, seq: 5001, ack: c(0) }],
  ],
  keepAlive: [
    ...opening,
    [1000 * MS, true, { flags: 0x10, seq: c(299), ack: 5001, payload: 1 }],
    [1000 * MS, true, { flags: 0x10, seq: c(299), ack: 5001 }],
    [1000 * MS, false, { flags: 0x10, seq: 5001, ack: c(300) }],
  ],
  outOfOrder: [
    ...opening,
    [1 * MS, true, { flags: 0x18, seq: c(400), ack: 5001, payload: 100 }],
    [2 * MS, true, { flags: 0x18, seq: c(300), ack: 5001, payload: 100 }],
    [100 * MS, true, { flags: 0x18, seq: c(300), ack: 5001, payload: 50 }],
  ],
  fast: [
    ...opening,
    [1 * MS, true, { flags: 0x18, seq: c(300), ack: 5001, payload: 100 }],
    [1 * MS, false, { flags: 0x10, seq: 5001, ack: c(200), win: 500 }],
    [0, false, { flags: 0x10, seq: 5001, ack: c(200), win: 500 }],
    [0, false, { flags: 0x10, seq: 5001, ack: c(200), win: 500 }],
    [0, true, { flags: 0x18, seq: c(200), ack: 5001, payload: 100 }],
  ],
  spurious: [
    ...opening,
    [1 * MS, false, { flags: 0x10, seq: 5001, ack: c(300) }],
    [0, true, { flags: 0x18, seq: c(100), ack: 5001, payload: 100 }],
  ],
  zeroWindowProbe: [
    ...opening,
    [1 * MS, false, { flags: 0x10, seq: 5001, ack: c(300), win: 0 }],
    [500 * MS, true, { flags: 0x10, seq: c(300), ack: 5001, payload: 1 }],
    [500 * MS, true, { flags: 0x10, seq: c(300), ack: 5001, payload: 1 }],
    [1 * MS, false, { flags: 0x10, seq: 5001, ack: c(300), win: 500 }],
    [1 * MS, true, { flags: 0x18, seq: c(300), ack: 5001, payload: 100 }],
  ],
}

/** Frames of every scenario, one client port each, as (ts, frame) in time order. */
function frames(): { port: Record<string, number>; list: [number, Uint8Array][] } {
  const port: Record<string, number> = {}
  const list: [number, Uint8Array][] = []
  let base = 1_700_000_000 * 1e6
  Object.entries(scenarios).forEach(([name, steps], i) => {
    const p = 41000 + i
    port[name] = p
    let t = base
    for (const [dt, fromClient, o] of steps) {
      t += dt
      const seg = fromClient
        ? tcp({ sport: p, dport: 80, ...o })
        : tcp({ sport: 80, dport: p, ...o })
      const [src, dst] = fromClient ? ['10.0.0.1', '10.0.0.2'] : ['10.0.0.2', '10.0.0.1']
      list.push([t, u8(ipv4(seg, { src, dst }))])
    }
    base = t + 10 * 1e6
  })
  return { port, list }
}

function writePcap(path: string, list: [number, Uint8Array][]): void {
  const parts: Buffer[] = []
  const gh = Buffer.alloc(24)
  gh.writeUInt32LE(0xa1b2c3d4, 0)
  gh.writeUInt16LE(2, 4)
  gh.writeUInt16LE(4, 6)
  gh.writeUInt32LE(65535, 16)
  gh.writeUInt32LE(101, 20) // LINKTYPE_RAW
  parts.push(gh)
  for (const [ts, f] of list) {
    const h = Buffer.alloc(16)
    h.writeUInt32LE(Math.floor(ts / 1e6), 0)
    h.writeUInt32LE(ts % 1e6, 4)
    h.writeUInt32LE(f.length, 8)
    h.writeUInt32LE(f.length, 12)
    parts.push(h, Buffer.from(f))
  }
  writeFileSync(path, Buffer.concat(parts))
}

const dir = mkdtempSync(join(tmpdir(), 'fsd-tcp-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!haveTshark)('TCP verdicts vs Wireshark', () => {
  it('counts retransmissions and out-of-order segments as Wireshark does, per scenario', () => {
    const { port, list } = frames()
    const file = join(dir, 'verdicts.pcap')
    writePcap(file, list)
    const agg = new Aggregator({ linkType: 101 })
    for (const [ts, f] of list) agg.add(ts, f, f.length)
    const ours = new Map(agg.conversations().map((r) => [r.port_a === 80 ? r.port_b : r.port_a, r]))
    const count = (filter: string): Map<number, number> => {
      const m = new Map<number, number>()
      const out = execFileSync(
        'tshark',
        ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      )
      for (const line of out.split('\n').filter(Boolean)) {
        const [sp, dp] = line.split('\t').map(Number)
        const p = sp === 80 ? dp! : sp!
        m.set(p, (m.get(p) ?? 0) + 1)
      }
      return m
    }
    const retrans = count(
      'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission',
    )
    const ooo = count('tcp.analysis.out_of_order')
    const table = Object.entries(port).map(([name, p]) => ({
      name,
      ours: [ours.get(p)!.retransmissions, ours.get(p)!.out_of_order],
      wireshark: [retrans.get(p) ?? 0, ooo.get(p) ?? 0],
    }))
    console.log(
      table
        .map((r) => `${r.name}: ours ${r.ours.join('/')} wireshark ${r.wireshark.join('/')}`)
        .join('\n'),
    )
    for (const r of table) expect(r.ours, r.name).toEqual(r.wireshark)
    // The scenarios exercise every verdict.
    expect(table.find((r) => r.name === 'outOfOrder')!.wireshark[1]).toBeGreaterThan(0)
    expect(table.find((r) => r.name === 'fast')!.wireshark[0]).toBeGreaterThan(0)
    expect(table.find((r) => r.name === 'spurious')!.wireshark[0]).toBeGreaterThan(0)
  })
})
