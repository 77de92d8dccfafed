/**
 * Two private network namespaces joined by a veth pair, for tests that need real traffic.
 * Traffic never leaves them. Always call destroy() (it is safe to call twice).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const isRoot = process.getuid?.() === 0

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export class VethPair {
  readonly a: string
  readonly b: string
  readonly ifA: string
  readonly ifB: string
  readonly addrA = '10.78.0.1'
  readonly addrB = '10.78.0.2'
  private readonly children: ChildProcess[] = []
  private readonly files: string[] = []

  constructor(prefix: string) {
    const id = `${process.pid % 100000}`
    this.a = `${prefix}a${id}`
    this.b = `${prefix}b${id}`
    // Interface names are at most 15 characters.
    this.ifA = `${prefix}A${id}`.slice(0, 15)
    this.ifB = `${prefix}B${id}`.slice(0, 15)
  }

  create(): void {
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' })
    ip('netns', 'add', this.a)
    ip('netns', 'add', this.b)
    ip('link', 'add', this.ifA, 'type', 'veth', 'peer', 'name', this.ifB)
    ip('link', 'set', this.ifA, 'netns', this.a)
    ip('link', 'set', this.ifB, 'netns', this.b)
    ip('-n', this.a, 'addr', 'add', `${this.addrA}/24`, 'dev', this.ifA)
    ip('-n', this.b, 'addr', 'add', `${this.addrB}/24`, 'dev', this.ifB)
    for (const [ns, dev] of [
      [this.a, this.ifA],
      [this.b, this.ifB],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
  }

  /** Runs a command inside a namespace and returns its stdout. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' })
  }

  /** Starts a long-running process inside a namespace; killed by destroy(). */
  spawn(ns: string, cmd: string, ...args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.children.push(child)
    return child
  }

  /** A kernel counter of an interface, read from sysfs inside its namespace. */
  counter(ns: string, dev: string, name: 'rx_bytes' | 'tx_bytes' | 'rx_packets'): number {
    return Number(this.exec(ns, 'cat', `/sys/class/net/${dev}/statistics/${name}`).trim())
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
    for (const c of this.children) c.kill('SIGKILL')
    for (const ns of [this.a, this.b]) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean)
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL')
      } catch {
        // namespace already gone
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
      } catch {
        // already deleted
      }
    }
    for (const f of this.files) rmSync(f, { force: true })
  }
}
