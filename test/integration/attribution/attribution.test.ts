/**
 * Process attribution end to end: programs with known PIDs talk across a namespace pair while
 * `flowscope capture` runs inside namespace A; every conversation must name its program and PID,
 * as the programs themselves and `ss -tunap` (iproute2) say. The programs run under symlinked
 * names, so each has its own comm. One of them lives for less than a second.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Netns } from '../../support/netns'
import { csvObjects, flowscopeAsync, unavailable } from '../capture/helpers'

const skip = unavailable({ root: true, tools: ['python3', 'ss', 'ethtool'] })
if (skip) console.warn(`attribution/attribution.test.ts skipped: ${skip}`)

const PROGRAMS = resolve(__dirname, 'programs.py')
const net = new Netns('fsw', '10.83.0', 'fd83')
let dir = ''
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Program {
  child: ChildProcess
  lines: string[]
  /** Resolves with the first `n` lines the program printed. */
  first(n: number): Promise<string[]>
}

function start(ns: string, name: string, args: string[]): Program {
  const child = spawn('ip', ['netns', 'exec', ns, join(dir, name), PROGRAMS, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiters: (() => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l)
    waiters.splice(0).forEach((w) => w())
  })
  return {
    child,
    lines,
    async first(n) {
      while (lines.length < n) {
        if (child.exitCode !== null) throw new Error(`${name} exited early: ${lines.join('|')}`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
      return lines.slice(0, n)
    },
  }
}

/** `ss -tunapH` in a namespace: "proto local-port peer" -> the first owning program. */
function ssOwners(ns: string): Map<string, { name: string; pid: number }> {
  const out = net.run(ns, ['ss', '-tunapH'])
  const owners = new Map<string, { name: string; pid: number }>()
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/)
    const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(line)
    if (f.length < 6 || !users) continue
    const local = f[4]!
    const port = local.slice(local.lastIndexOf(':') + 1)
    owners.set(`${f[0]} ${port}`, { name: users[1]!, pid: Number(users[2]) })
  }
  return owners
}

beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fsw-'))
  for (const name of ['fswsrv', 'fswtcps', 'fswtcpc', 'fswtcp6', 'fswudp', 'fswshort', 'fswpeer'])
    symlinkSync('/usr/bin/python3', join(dir, name))
  net.create()
})
afterAll(() => {
  net.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(skip !== null)('capture names the program of each conversation', () => {
  it('TCP client and server, UDP sender, IPv4 and IPv6, and a program living < 1 s', async () => {
    const programs: Program[] = []
    const run = (ns: string, name: string, args: string[]) => {
      const p = start(ns, name, args)
      programs.push(p)
      return p
    }
    try {
      // Peers in B: echo servers on v4 and v6.
      const srv4 = run(net.b, 'fswsrv', ['server', net.addrB, '7101'])
      const srv6 = run(net.b, 'fswsrv', ['server', net.addr6B, '7102'])
      const srvA = run(net.a, 'fswtcps', ['server', net.addrA, '7201'])
      await Promise.all([srv4.first(1), srv6.first(1), srvA.first(1)])
      await sleep(300)

      const capture = flowscopeAsync(
        ['capture', '-i', net.vethA, '--duration', '7', '--format', 'csv'],
        net.in(net.a),
      )
      await sleep(1500)
      const tcpc = run(net.a, 'fswtcpc', ['client', net.addrB, '7101', '3', '1'])
      const tcp6 = run(net.a, 'fswtcp6', ['client', net.addr6B, '7102', '3', '1'])
      const udp = run(net.a, 'fswudp', ['udp', net.addrB, '7301', '10'])
      const peer = run(net.b, 'fswpeer', ['client', net.addrA, '7201', '3', '1'])
      const [tcpcPid, tcpcPort] = (await tcpc.first(2)).map(Number)
      const [tcp6Pid, tcp6Port] = (await tcp6.first(2)).map(Number)
      const [udpPid, udpPort] = (await udp.first(2)).map(Number)
      const [, peerPort] = (await peer.first(2)).map(Number)
      await sleep(200)
      // Independent view of the same sockets while they are open.
      const ss = ssOwners(net.a)

      const short = run(net.a, 'fswshort', ['client', net.addrB, '7101', '0.3'])
      const [shortPid, shortPort] = (await short.first(2)).map(Number)
      const t0 = Date.now()
      await new Promise((r) => short.child.once('exit', r))
      const shortLived = Date.now() - t0
      console.log(`fswshort (pid ${shortPid}) lived about ${shortLived} ms after connecting`)
      expect(shortLived).toBeLessThan(1000)

      const r = await capture.done
      expect(r.code, r.stderr).toBe(0)
      const rows = csvObjects(r.stdout)
      const row = (protocol: string, port: number) => {
        const found = rows.filter(
          (x) =>
            x.protocol === protocol && (x.port_a === String(port) || x.port_b === String(port)),
        )
        expect(found, `${protocol} port ${port} in\n${r.stdout}`).toHaveLength(1)
        return found[0]!
      }

      // ss agrees with what the programs said about themselves...
      expect(ss.get(`tcp ${tcpcPort}`)).toEqual({ name: 'fswtcpc', pid: tcpcPid })
      expect(ss.get(`tcp ${tcp6Port}`)).toEqual({ name: 'fswtcp6', pid: tcp6Pid })
      expect(ss.get(`udp ${udpPort}`)).toEqual({ name: 'fswudp', pid: udpPid })
      const srvAPid = Number(srvA.lines[0])
      expect(ss.get(`tcp 7201`)).toEqual({ name: 'fswtcps', pid: srvAPid })
      // ...and so does the capture.
      const expectOwner = (x: Record<string, string>, name: string, pid: number) =>
        expect({ process: x.process, pid: x.pid }).toEqual({ process: name, pid: String(pid) })
      expectOwner(row('tcp', tcpcPort!), 'fswtcpc', tcpcPid!)
      expectOwner(row('tcp', tcp6Port!), 'fswtcp6', tcp6Pid!)
      expect(row('tcp', tcp6Port!).address_a).toBe(net.addr6A)
      expectOwner(row('udp', udpPort!), 'fswudp', udpPid!)
      expectOwner(row('tcp', peerPort!), 'fswtcps', srvAPid)
      expectOwner(row('tcp', shortPort!), 'fswshort', shortPid!)
    } finally {
      for (const p of programs) p.child.kill('SIGKILL')
    }
  }, 60_000)
})
