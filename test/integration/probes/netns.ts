import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { resolve } from 'node:path'
import { hasCommand, Netns } from '../../support/netns'

export const ROOT = resolve(__dirname, '../../..')
export const CLI = resolve(ROOT, 'bin/flowscope.cjs')
export const RESPONDER = resolve(ROOT, 'test/fixtures/probes/responder.py')

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only'
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'iproute2 (`ip`) is not installed'
  }
  return null
}

/** Our test hosts: `a` (10.201.0.1, fd20::1) runs responders, `b` (10.201.0.2) the prober. */
export class NsPair extends Netns {
  constructor() {
    super('fsp', '10.201.0', 'fd20')
  }
}

/** A responder.py child; ready() resolves with its port, stop() with its own counts. */
export class Responder {
  private readonly child: ChildProcess
  private readonly lines: string[] = []
  private readonly waiters: (() => void)[] = []

  constructor(args: string[], ns?: string) {
    const cmd = ['python3', RESPONDER, ...args]
    this.child = ns ? spawn('ip', ['netns', 'exec', ns, ...cmd]) : spawn(cmd[0]!, cmd.slice(1))
    this.child.stderr!.on('data', (d) => process.stderr.write(d))
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      this.lines.push(l)
      for (const w of this.waiters.splice(0)) w()
    })
  }

  private async line(i: number): Promise<string> {
    while (this.lines.length <= i) {
      if (this.child.exitCode !== null) throw new Error(`responder exited (${this.child.exitCode})`)
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 200)
      })
    }
    return this.lines[i]!
  }

  async ready(): Promise<number> {
    const l = await this.line(0)
    return Number(l.split(' ')[1])
  }

  async stop(): Promise<Record<string, number>> {
    this.child.kill('SIGTERM')
    return JSON.parse(await this.line(1)) as Record<string, number>
  }

  kill(): void {
    this.child.kill('SIGKILL')
  }
}

export interface ProbeJson {
  target: string
  kind: string
  sent: number
  received: number
  loss_pct: number
  rtt_ms: Record<'min' | 'avg' | 'max' | 'stddev' | 'p50' | 'p95' | 'p99', number | null>
  jitter_ms: Record<'mean' | 'max' | 'rfc3550', number | null>
  phases_ms?: Record<string, number>
}

/** Why curl cannot be the peer here, or null when it can. */
export const curlUnavailable = (): string | null =>
  hasCommand('curl') ? null : 'curl (the peer measured beside the probe) is not installed'

/**
 * curl's own means, in ms, over `count` GETs of `url` at `perSecond`, each on a new connection:
 * connect (the TCP handshake) and TTFB (request sent to first byte, as our http:// probe counts it).
 * Run beside a probe, it is the peer that sees the same machine load in the same seconds.
 */
export function curlPhases(
  url: string,
  count: number,
  perSecond: number,
): Promise<{ connect: number; ttfb: number; n: number }> {
  const format = '%{time_namelookup} %{time_connect} %{time_pretransfer} %{time_starttransfer}\\n'
  const args = ['-sS', '--rate', `${perSecond}/s`, '-w', format]
  for (let i = 0; i < count; i++) args.push('-o', '/dev/null', url)
  return new Promise((resolve, reject) =>
    execFile('curl', args, { encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(err)
      const rows = stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ').map(Number))
      const mean = (f: (r: number[]) => number) =>
        (1000 * rows.reduce((sum, r) => sum + f(r), 0)) / rows.length
      resolve({
        connect: mean((r) => r[1]! - r[0]!),
        ttfb: mean((r) => r[3]! - r[2]!),
        n: rows.length,
      })
    }),
  )
}
