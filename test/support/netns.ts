/**
 * Two private network namespaces joined by a veth pair: the test hosts of every test that needs
 * real traffic. Names carry a per-suite prefix and our pid; traffic never leaves them; offloads
 * are off so the wire carries real segments. destroy() (also run at exit) kills what still runs
 * inside and deletes both namespaces.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const isRoot = process.getuid?.() === 0

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })

export class Netns {
  readonly a: string
  readonly b: string
  readonly vethA: string
  readonly vethB: string
  readonly addrA: string
  readonly addrB: string
  readonly addr6A: string
  readonly addr6B: string
  private readonly children: ChildProcess[] = []
  private readonly files: string[] = []
  private readonly onExit = () => this.destroy()

  /** `v4`: the first three octets of a /24 ('10.79.0'); `v6`: the first group of a /64 ('fd79'). */
  constructor(prefix: string, v4: string, v6: string) {
    this.a = `${prefix}a${process.pid}`
    this.b = `${prefix}b${process.pid}`
    // Interface names are at most 15 characters.
    this.vethA = `${prefix}${process.pid}a`.slice(-15)
    this.vethB = `${prefix}${process.pid}b`.slice(-15)
    this.addrA = `${v4}.1`
    this.addrB = `${v4}.2`
    this.addr6A = `${v6}::1`
    this.addr6B = `${v6}::2`
  }

  create(): void {
    this.destroy()
    process.on('exit', this.onExit)
    ip(['netns', 'add', this.a])
    ip(['netns', 'add', this.b])
    ip([
      'link',
      'add',
      this.vethA,
      'netns',
      this.a,
      'type',
      'veth',
      'peer',
      'name',
      this.vethB,
      'netns',
      this.b,
    ])
    for (const [ns, dev, v4, v6] of [
      [this.a, this.vethA, `${this.addrA}/24`, `${this.addr6A}/64`],
      [this.b, this.vethB, `${this.addrB}/24`, `${this.addr6B}/64`],
    ] as const) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      ip(['-n', ns, 'addr', 'add', v4, 'dev', dev])
      ip(['-n', ns, 'addr', 'add', v6, 'dev', dev, 'nodad'])
      ip(['-n', ns, 'link', 'set', dev, 'up'])
      spawnSync(
        'ip',
        ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off'],
        {
          stdio: 'ignore',
        },
      )
    }
    // The kernel gives each veth an IPv6 link-local address once both ends are up, after about a
    // second of duplicate address detection: wait for that, so a browser started next does not
    // see the network change under a page load (net::ERR_NETWORK_CHANGED).
    for (let i = 0; i < 50 && this.tentative(); i++) spawnSync('sleep', ['0.1'])
  }

  /** Whether either veth still has an IPv6 address in duplicate address detection. */
  private tentative(): boolean {
    return [
      [this.a, this.vethA],
      [this.b, this.vethB],
    ].some(
      ([ns, dev]) =>
        spawnSync('ip', ['-n', ns!, '-6', 'addr', 'show', 'dev', dev!, 'tentative'], {
          encoding: 'utf8',
        }).stdout.trim() !== '',
    )
  }

  /** argv prefix that runs a command inside a namespace. */
  in(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns]
  }

  /** Runs a command inside a namespace to its end and returns its stdout. */
  run(
    ns: string,
    cmd: string[],
    opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
  ): string {
    return execFileSync('ip', ['netns', 'exec', ns, ...cmd], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    })
  }

  /** Starts a long-running process inside a namespace; destroy() kills it. */
  spawn(ns: string, cmd: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.children.push(child)
    return child
  }

  /** A kernel counter of an interface, read from sysfs inside its namespace. */
  counter(ns: string, dev: string, name: 'rx_bytes' | 'tx_bytes' | 'rx_packets'): number {
    return Number(this.run(ns, ['cat', `/sys/class/net/${dev}/statistics/${name}`]).trim())
  }

  /** A Chromium launcher that runs the browser inside namespace `ns` (so it sees that loopback). */
  chromiumIn(ns: string, chromium = '/usr/bin/chromium'): string {
    const path = join(tmpdir(), `flowscope-chromium-${ns}.sh`)
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${ns} ${chromium} "$@"\n`)
    chmodSync(path, 0o755)
    this.files.push(path)
    return path
  }

  destroy(): void {
    for (const c of this.children.splice(0)) c.kill('SIGKILL')
    for (const ns of [this.a, this.b]) {
      const pids =
        spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .stdout?.split('\n')
          .filter(Boolean) ?? []
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
    }
    for (const f of this.files.splice(0)) rmSync(f, { force: true })
    process.off('exit', this.onExit)
  }
}
