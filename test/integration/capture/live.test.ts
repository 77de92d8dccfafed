/**
 * Live equals file: `flowscope capture` on a veth inside our namespaces while tcpdump captures
 * the same interface beside it and real traffic flows (ping v4/v6, iperf3 TCP and UDP); then
 * `flowscope analyze` of tcpdump's file must give the same conversations and totals.
 * Needs root, tcpdump, iperf3, ping.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FscNetns, csvObjects, flowscope, flowscopeAsync, unavailable } from './helpers'

const skip = unavailable({ root: true, tools: ['tcpdump', 'iperf3', 'ping', 'ip', 'capinfos'] })
if (skip) console.warn(`capture/live.test.ts skipped: ${skip}`)

const ns = new FscNetns()
let dir = ''
beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fsc-live-'))
  ns.create()
})
afterAll(() => {
  ns.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Conversation rows as comparable strings (times apart: see below). */
function conversations(csv: string): string[] {
  return csvObjects(csv)
    .map((r) =>
      [
        r.protocol,
        r.address_a,
        r.port_a,
        r.address_b,
        r.port_b,
        r.packets_a_to_b,
        r.bytes_a_to_b,
        r.packets_b_to_a,
        r.bytes_b_to_a,
      ].join(' '),
    )
    .sort()
}

/**
 * First/last seen per conversation, in µs. The kernel stamps a sent packet separately for each
 * capture socket when nothing asked for transmit timestamps, so two captures may differ by a
 * few µs on the same packet; that is the clock, not the count.
 */
function times(csv: string): Map<string, [number, number]> {
  const us = (iso: string) => Date.parse(iso) * 1000 + Number(iso.slice(23, 26))
  return new Map(
    csvObjects(csv).map((r) => [
      `${r.protocol} ${r.address_a} ${r.port_a} ${r.address_b} ${r.port_b}`,
      [us(r.first_seen!), us(r.last_seen!)],
    ]),
  )
}

describe.skipIf(skip !== null)('live capture equals the file tcpdump wrote beside it', () => {
  it('same conversations, packets and bytes; no drops', async () => {
    // Background IPv6 multicast (MLD, router solicitations) may fall outside one of the two
    // capture windows; everything else only flows while both run.
    const filter = 'not ip6 multicast'
    const pcap = join(dir, 'tcpdump.pcap')
    const liveCsv = join(dir, 'live.csv')
    const tcpdump = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.a,
        'tcpdump',
        '-i',
        ns.vethA,
        '-s',
        '128',
        '-U',
        '-n',
        '-w',
        pcap,
        filter,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    await new Promise<void>((resolve, reject) => {
      tcpdump.stderr!.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve())
      tcpdump.on('exit', () => reject(new Error('tcpdump did not start')))
    })
    const capture = flowscopeAsync(
      [
        'capture',
        '-i',
        ns.vethA,
        '--duration',
        '7',
        '--filter',
        filter,
        '--format',
        'csv',
        '--out',
        liveCsv,
      ],
      ns.in(ns.a),
    )
    await sleep(1500)
    ns.run(ns.b, ['iperf3', '-s', '-D', '-1', '-p', '5301'])
    ns.run(ns.b, ['iperf3', '-s', '-D', '-1', '-p', '5302'])
    await sleep(300)
    const traffic = [
      ['ping', '-q', '-c', '10', '-i', '0.1', ns.addrB],
      ['ping', '-6', '-q', '-c', '10', '-i', '0.1', ns.addr6B],
      ['iperf3', '-c', ns.addrB, '-p', '5301', '-t', '2', '-b', '40M'],
      ['iperf3', '-c', ns.addr6B, '-p', '5302', '-u', '-t', '2', '-b', '5M', '-l', '1000'],
    ].map(
      (cmd) =>
        new Promise<void>((res) =>
          spawn('ip', ['netns', 'exec', ns.a, ...cmd], { stdio: 'ignore' }).on('exit', () => res()),
        ),
    )
    await Promise.all(traffic)
    const live = await capture.done
    tcpdump.kill('SIGINT')
    await new Promise((r) => tcpdump.on('exit', r))

    expect(live.code, live.stderr).toBe(0)
    const stats =
      /capture: ([\d,]+) packets received by filter, ([\d,]+) dropped by kernel, ([\d,]+) dropped by interface/.exec(
        live.stderr,
      )
    expect(stats, live.stderr).not.toBeNull()
    expect(stats![2]).toBe('0')
    const fromFile = flowscope(['analyze', pcap, '--format', 'csv'])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    const a = conversations(readFileSync(liveCsv, 'utf8'))
    const b = conversations(fromFile.stdout)
    console.log(
      `live: ${a.length} conversations, ${stats![1]} packets received; tcpdump file: ${b.length} conversations`,
    )
    expect(a.length).toBeGreaterThanOrEqual(4)
    expect(a.some((l) => l.startsWith('tcp '))).toBe(true)
    expect(a.some((l) => l.startsWith('udp fd79::1'))).toBe(true)
    expect(a.some((l) => l.startsWith('icmp '))).toBe(true)
    expect(a.some((l) => l.startsWith('icmpv6 '))).toBe(true)
    expect(a).toEqual(b)
    const ta = times(readFileSync(liveCsv, 'utf8'))
    for (const [k, [first, last]] of times(fromFile.stdout)) {
      expect(Math.abs(ta.get(k)![0] - first), k).toBeLessThan(1000)
      expect(Math.abs(ta.get(k)![1] - last), k).toBeLessThan(1000)
    }
    // Every frame (non-IP ones such as ARP too) the live capture received is in tcpdump's file.
    const fileProto = flowscope(['analyze', pcap, '--by', 'protocol', '--format', 'json'])
    expect(fileProto.code).toBe(0)
    const sum = (json: string) =>
      (JSON.parse(json) as { packets: number }[]).reduce((s, r) => s + r.packets, 0)
    expect(sum(fileProto.stdout)).toBe(Number(stats![1]!.replace(/,/g, '')))
  }, 60_000)
})
