import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Netns } from '../../support/netns'

export const ROOT = resolve(__dirname, '../../..')
export const CLI = resolve(ROOT, 'bin/flowscope.cjs')
export const BUILT_CLI = resolve(ROOT, 'out/main/cli.js')
export const WORKER = resolve(ROOT, 'out/main/capture.js')
export const MKPCAP = resolve(ROOT, '../shared/tools/mkpcap.sh')
export const CORPUS = resolve(ROOT, '../shared/corpus/tcpdump-tests')

/** Why a test cannot run here (printed by the caller), or null. */
export function unavailable(needs: {
  root?: boolean
  tools?: string[]
  files?: string[]
}): string | null {
  if (!existsSync(BUILT_CLI)) return 'not built (npm run build)'
  if (needs.root && process.getuid?.() !== 0) return 'needs root (network namespaces, live capture)'
  for (const tool of needs.tools ?? []) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed`
  }
  for (const f of needs.files ?? []) if (!existsSync(f)) return `${f} not found`
  return null
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI; `prefix` runs it under another command (e.g. ip netns exec NS). */
export function flowscope(args: string[], prefix: string[] = [], timeoutMs = 120_000): CliResult {
  const cmd = [...prefix, process.execPath, CLI, ...args]
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 28,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

export function flowscopeAsync(
  args: string[],
  prefix: string[] = [],
): { child: ChildProcess; done: Promise<CliResult> } {
  const cmd = [...prefix, process.execPath, CLI, ...args]
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code) => res({ code, stdout, stderr })),
  )
  return { child, done }
}

/** Minimal RFC 4180 reader (quotes, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else if (ch !== '\r') cell += ch
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/** CSV text as objects keyed by the header row. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text)
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])))
}

/** Canonical IPv6/IPv4 text, so tshark's and our spellings compare equal. */
export function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a
  return new URL(`http://[${a}]/`).hostname.slice(1, -1)
}

export function packetCount(file: string): number {
  const out = execFileSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' })
  const m = /Number of packets:\s+(\d+)/.exec(out)
  if (!m) throw new Error(`capinfos: no packet count in ${out}`)
  return Number(m[1])
}

/** Our test hosts: `a` (10.79.0.1, fd79::1) captures, `b` (10.79.0.2, fd79::2) answers. */
export class FscNetns extends Netns {
  constructor() {
    super('fsc', '10.79.0', 'fd79')
  }
}

/**
 * A UDP port on 127.0.0.1 that we hold (bound, silent), so loopback captures filtered on it see
 * only our own datagrams: other work on this host may use loopback ports of its own.
 */
export async function ownUdpPort(): Promise<{
  port: number
  send(count: number, bytes: number): Promise<void>
  /** All at once, resolved when every datagram is sent. */
  burst(count: number, bytes: number): Promise<void>
  close(): void
}> {
  const rx: Socket = createSocket('udp4')
  await new Promise<void>((res) => rx.bind(0, '127.0.0.1', () => res()))
  const port = rx.address().port
  const tx = createSocket('udp4')
  return {
    port,
    async send(count, bytes) {
      for (let i = 0; i < count; i++) {
        await new Promise<void>((res) =>
          tx.send(Buffer.alloc(bytes), port, '127.0.0.1', () => res()),
        )
        await new Promise((r) => setTimeout(r, 3))
      }
    },
    async burst(count, bytes) {
      const sends = Array.from(
        { length: count },
        () =>
          new Promise<void>((res) => tx.send(Buffer.alloc(bytes), port, '127.0.0.1', () => res())),
      )
      await Promise.all(sends)
    },
    close() {
      rx.close()
      tx.close()
    },
  }
}
