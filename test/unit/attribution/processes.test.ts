/**
 * ProcessAttributor.watch(): the socket tables are read only when the capture sees new
 * conversations, at most once per interval, and a program that appears between reads is named. A fake /proc tree
 * (socket table + fd links + comm) stands in for the kernel's.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ProcessAttributor } from '../../../electron/shared/attribution/processes'

const HEADER =
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n'

/** One /proc/net/udp line: 10.0.0.1:port connected to 10.0.0.2:53, owned by `inode`. */
function udpLine(i: number, port: number, inode: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  // Addresses as the kernel prints them on little-endian hosts: 10.0.0.1 -> 0100000A.
  return `  ${i}: 0100000A:${hexPort} 0200000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 ${inode} 2 0000000000000000 0\n`
}

let root = ''
const sockets: string[] = []

function addProgram(pid: number, name: string, port: number, inode: number): void {
  sockets.push(udpLine(sockets.length, port, inode))
  writeFileSync(join(root, 'net', 'udp'), HEADER + sockets.join(''))
  mkdirSync(join(root, String(pid), 'fd'), { recursive: true })
  writeFileSync(join(root, String(pid), 'comm'), `${name}\n`)
  symlinkSync(`socket:[${inode}]`, join(root, String(pid), 'fd', '3'))
}

const conversation = (port: number) => ({
  protocol: 'udp',
  address_a: '10.0.0.1',
  port_a: port,
  address_b: '10.0.0.2',
  port_b: 53,
})

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fsc-proc-'))
  mkdirSync(join(root, 'net'))
  sockets.length = 0
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
  rmSync(root, { recursive: true, force: true })
})

describe('ProcessAttributor.watch', () => {
  it('reads the socket tables only when new conversations were seen', () => {
    addProgram(100, 'dig', 40001, 5001)
    const p = new ProcessAttributor({ procRoot: root })
    p.watch(200)
    p.seen(1)
    expect(p.stats.refreshes).toBe(1) // a new count reads at once
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(200)
      p.seen(1) // batches with no new conversation: nothing read
    }
    vi.advanceTimersByTime(2000)
    expect(p.stats.refreshes).toBe(1)
    // A short-lived program talks (a new conversation) and is gone before the tick asks.
    addProgram(200, 'curl', 40002, 5002)
    p.seen(2)
    expect(p.stats.refreshes).toBe(2)
    rmSync(join(root, '200'), { recursive: true })
    writeFileSync(join(root, 'net', 'udp'), HEADER + sockets[0])
    expect(p.lookup(conversation(40002))).toMatchObject({ pid: 200, name: 'curl', side: 'a' })
    expect(p.lookup(conversation(40001))).toMatchObject({ pid: 100, name: 'dig' })
    p.unwatch()
  })

  it('reads at most once per interval, the newest count last', () => {
    addProgram(100, 'dig', 40001, 5001)
    const p = new ProcessAttributor({ procRoot: root })
    p.watch(200)
    p.seen(1)
    vi.advanceTimersByTime(50)
    p.seen(2)
    p.seen(3) // both within the interval: one read, 150 ms later
    expect(p.stats.refreshes).toBe(1)
    vi.advanceTimersByTime(149)
    expect(p.stats.refreshes).toBe(1)
    vi.advanceTimersByTime(1)
    expect(p.stats.refreshes).toBe(2)
    p.seen(3) // what that read covered: nothing more
    vi.advanceTimersByTime(1000)
    expect(p.stats.refreshes).toBe(2)
    p.unwatch()
  })

  it('does nothing before watch() or after unwatch()', () => {
    const p = new ProcessAttributor({ procRoot: root })
    p.seen(1)
    p.watch(200)
    p.seen(1)
    vi.advanceTimersByTime(10)
    p.seen(2) // a read is due in 190 ms
    p.unwatch()
    vi.advanceTimersByTime(1000)
    p.seen(3)
    expect(p.stats.refreshes).toBe(1)
  })
})
