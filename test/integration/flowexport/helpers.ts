/**
 * Totals per flow direction from tshark (a capture file) and from nfdump (what nfcapd stored),
 * keyed the same way, for the export tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'

/** proto|src|sport|dst|dport (ports 0 for ICMP / ICMPv6) -> packets, bytes. */
export type Totals = Map<string, { packets: number; bytes: number; records: number }>

const canon = (a: string) => (a.includes(':') ? new URL(`http://[${a}]`).hostname.slice(1, -1) : a)
export const key = (proto: number, src: string, sport: number, dst: string, dport: number) =>
  proto === 6 || proto === 17
    ? `${proto}|${canon(src)}|${sport}|${canon(dst)}|${dport}`
    : `${proto}|${canon(src)}|0|${canon(dst)}|0`

function add(t: Totals, k: string, packets: number, bytes: number) {
  const e = t.get(k) ?? { packets: 0, bytes: 0, records: 0 }
  e.packets += packets
  e.bytes += bytes
  e.records++
  t.set(k, e)
}

/** tshark per direction: packets and IP-layer bytes (ip.len, ipv6.plen + 40), reassembly off. */
export function tsharkTotals(file: string): Totals {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-o',
      'ip.defragment:FALSE',
      '-o',
      'ipv6.defragment:FALSE',
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-e',
      'frame.protocols',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'ipv6.src',
      '-e',
      'ipv6.dst',
      '-e',
      'tcp.srcport',
      '-e',
      'tcp.dstport',
      '-e',
      'udp.srcport',
      '-e',
      'udp.dstport',
      '-e',
      'ip.len',
      '-e',
      'ipv6.plen',
    ],
    { maxBuffer: 1 << 28, encoding: 'utf8' },
  )
  const t: Totals = new Map()
  const first = (s: string | undefined) => (s ?? '').split(',')[0]!
  for (const line of out.split('\n')) {
    if (!line) continue
    const [protos, s4, d4, s6, d6, ts, td, us, ud, len, plen] = line.split('|').map(first)
    const layers = protos!.split(':')
    const v6 = layers[2] === 'ipv6'
    if (layers[2] !== 'ip' && !v6) continue // ARP and other non-IP frames
    const proto = layers.includes('tcp')
      ? 6
      : layers.includes('udp')
        ? 17
        : layers.includes('icmpv6')
          ? 58
          : layers.includes('icmp')
            ? 1
            : -1
    expect(proto, line).toBeGreaterThan(0)
    const bytes = v6 ? Number(plen) + 40 : Number(len)
    const sport = Number(ts || us || 0)
    const dport = Number(td || ud || 0)
    add(t, key(proto, v6 ? s6! : s4!, sport, v6 ? d6! : d4!, dport), 1, bytes)
  }
  return t
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMP6: 58 }

/**
 * Runs nfcapd on 127.0.0.1:port around work(), then reads every record with nfdump -o csv.
 * `prefix`: runs nfcapd under another command (ip netns exec NS: that namespace's loopback).
 */
export async function collect(
  dir: string,
  port: number,
  work: () => Promise<void>,
  prefix: string[] = [],
): Promise<{ totals: Totals; log: string }> {
  const flows = join(dir, `nfcapd-${port}`)
  mkdirSync(flows)
  const argv = [
    ...prefix,
    'nfcapd',
    '-w',
    flows,
    '-p',
    String(port),
    '-b',
    '127.0.0.1',
    '-t',
    '3600',
  ]
  const nfcapd: ChildProcess = spawn(argv[0]!, argv.slice(1))
  let log = ''
  nfcapd.stdout!.on('data', (d) => (log += d))
  nfcapd.stderr!.on('data', (d) => (log += d))
  const exited = new Promise((r) => nfcapd.on('exit', r))
  for (let i = 0; i < 100 && !log.includes('Startup'); i++)
    await new Promise((r) => setTimeout(r, 50))
  try {
    await work()
    await new Promise((r) => setTimeout(r, 500))
  } finally {
    nfcapd.kill('SIGTERM')
    await exited
  }
  const files = readdirSync(flows).filter((f) => /^nfcapd\.\d+$/.test(f))
  expect(files.length, `nfcapd wrote nothing: ${log}`).toBeGreaterThan(0)
  const totals: Totals = new Map()
  for (const f of files) {
    const csv = execFileSync('nfdump', ['-r', join(flows, f), '-q', '-o', 'csv'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    })
    for (const line of csv.split('\n')) {
      const c = line.split(',')
      if (c.length < 13 || c[0] === 'ts') continue
      const proto = PROTO[c[7]!.trim()] ?? Number(c[7])
      add(
        totals,
        key(proto, c[3]!, Number(c[5]), c[4]!, Number(c[6])),
        Number(c[11]),
        Number(c[12]),
      )
    }
  }
  return { totals, log }
}

export function compare(ours: Totals, ref: Totals) {
  const strip = (t: Totals) => [...t].map(([k, v]) => [k, v.packets, v.bytes]).sort()
  expect(strip(ours)).toEqual(strip(ref))
}

export const sum = (t: Totals) =>
  [...t.values()].reduce((a, v) => ({ p: a.p + v.packets, b: a.b + v.bytes, r: a.r + v.records }), {
    p: 0,
    b: 0,
    r: 0,
  })
