/**
 * `flowscope analyze` (the built CLI) against tshark on a real capture made by mkpcap.sh:
 * every conversation's per-direction packets and bytes equal tshark's, and the protocol totals
 * add up to every frame in the file. Needs root (namespaces), tshark, tcpdump, iperf3, capinfos.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONVERSATION_REPORT_COLUMNS } from '../../../electron/shared/report/rows'
import {
  MKPCAP,
  canonicalAddress,
  csvObjects,
  flowscope,
  packetCount,
  unavailable,
} from './helpers'

const skip = unavailable({
  root: true,
  tools: ['tshark', 'tcpdump', 'iperf3', 'capinfos'],
  files: [MKPCAP],
})
if (skip) console.warn(`capture/tshark.test.ts skipped: ${skip}`)

let dir = ''
let file = ''
beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fsc-tshark-'))
  file = join(dir, 'mix.pcap')
  execFileSync('bash', [MKPCAP, file, '3', '20M', '128'], { stdio: 'ignore', timeout: 90_000 })
}, 120_000)
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Directional {
  /** Packets and bytes from the key's first endpoint to its second, and back. */
  packets: [number, number]
  bytes: [number, number]
}

function key(
  proto: string,
  src: string,
  sport: string,
  dst: string,
  dport: string,
): [string, 0 | 1] {
  const a = `${canonicalAddress(src)}/${sport}`
  const b = `${canonicalAddress(dst)}/${dport}`
  return a <= b ? [`${proto} ${a} ${b}`, 0] : [`${proto} ${b} ${a}`, 1]
}

/** tshark's per-frame fields, summed per conversation (ICMP before the inner headers it quotes). */
function tsharkConversations(path: string): Map<string, Directional> {
  const out = execFileSync(
    'tshark',
    ['-r', path, '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=\t',
     '-e', 'frame.len', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
     '-e', 'icmp.type', '-e', 'icmpv6.type', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport'], // prettier-ignore
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
  )
  const convs = new Map<string, Directional>()
  for (const line of out.split('\n')) {
    if (!line) continue
    const [len, s4, s6, d4, d6, icmp, icmp6, ts, td, us, ud] = line.split('\t')
    const src = s4 || s6
    const dst = d4 || d6
    const proto = icmp ? 'icmp' : icmp6 ? 'icmpv6' : ts ? 'tcp' : us ? 'udp' : null
    if (!src || !dst || !proto) continue
    const [sp, dp] = proto === 'tcp' ? [ts!, td!] : proto === 'udp' ? [us!, ud!] : ['', '']
    const [k, d] = key(proto, src, sp, dst, dp)
    let c = convs.get(k)
    if (!c) convs.set(k, (c = { packets: [0, 0], bytes: [0, 0] }))
    c.packets[d]++
    c.bytes[d] += Number(len)
  }
  return convs
}

describe.skipIf(skip !== null)('flowscope analyze vs tshark', () => {
  it('gives every conversation the same per-direction packets and bytes as tshark', () => {
    const r = flowscope(['analyze', file, '--by', 'conversation', '--format', 'csv'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe(CONVERSATION_REPORT_COLUMNS.join(','))
    const ours = new Map<string, Directional>()
    for (const row of csvObjects(r.stdout)) {
      const [k, d] = key(row.protocol!, row.address_a!, row.port_a!, row.address_b!, row.port_b!)
      const c: Directional = { packets: [0, 0], bytes: [0, 0] }
      c.packets[d] = Number(row.packets_a_to_b)
      c.bytes[d] = Number(row.bytes_a_to_b)
      c.packets[1 - d] = Number(row.packets_b_to_a)
      c.bytes[1 - d] = Number(row.bytes_b_to_a)
      expect(ours.has(k), `duplicate row ${k}`).toBe(false)
      ours.set(k, c)
      expect(row.first_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    }
    const theirs = tsharkConversations(file)
    const protocols = new Set([...ours.keys()].map((k) => k.split(' ')[0]))
    console.log(
      `${theirs.size} conversations in tshark, ${ours.size} in flowscope (${[...protocols].join(', ')})`,
    )
    for (const p of ['tcp', 'udp', 'icmp', 'icmpv6']) expect(protocols).toContain(p)
    expect([...ours.keys()].some((k) => k.includes('fd77::'))).toBe(true)
    expect([...ours.keys()].some((k) => k.includes('10.77.0.'))).toBe(true)
    for (const [k, t] of theirs) expect(ours.get(k), k).toEqual(t)
    for (const k of ours.keys()) expect(theirs.has(k), `${k} not in tshark`).toBe(true)
  })

  it('accounts for every frame in the protocol totals', () => {
    const r = flowscope(['analyze', file, '--by', 'protocol', '--format', 'json'])
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as { protocol: string; packets: number; bytes: number }[]
    const total = rows.reduce((s, x) => s + x.packets, 0)
    expect(total).toBe(packetCount(file))
    expect(rows.find((x) => x.protocol === 'tcp')!.packets).toBeGreaterThan(1000)
  })

  it('applies a BPF filter before counting', () => {
    const r = flowscope([
      'analyze',
      file,
      '--by',
      'protocol',
      '--format',
      'json',
      '--filter',
      'icmp or icmp6',
    ])
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as { protocol: string; packets: number }[]
    expect(rows.map((x) => x.protocol).sort()).toEqual(['icmp', 'icmpv6'])
  })
})
