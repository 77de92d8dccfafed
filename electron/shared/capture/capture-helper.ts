/**
 * The capture helper (native/caphelper, `flowscope-capture`): the one program that holds
 * CAP_NET_RAW, as Wireshark's dumpcap. It opens the interface, drops every privilege and streams
 * pcap on its stdout, which the unprivileged worker reads with the same batched reader as files.
 * Its stderr carries one status line each: `ready DLT SNAPLEN`, `stats RECV DROP IFDROP`,
 * `error CODE MESSAGE`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, readSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CaptureError, firstLine, type CaptureErrorCode } from './errors'
import type { NativeModule } from './native'
import type { CaptureStats } from './source'

export const CAPTURE_HELPER = 'flowscope-capture'
const CHECKOUT_PATH = join('native', 'caphelper', 'build', CAPTURE_HELPER)
/** How long the helper may take to open the interface before we give up on it. */
const START_TIMEOUT_MS = 10_000
const MAX_LINE = 4096

/**
 * Where the helper is: $FLOWSCOPE_CAPTURE_HELPER, the packaged app's resources (electron-builder
 * extraResources, or app.asar.unpacked), or a checkout's build found from this file upwards.
 */
export function findCaptureHelper(
  env: NodeJS.ProcessEnv = process.env,
  resourcesPath: string | undefined = (process as { resourcesPath?: string }).resourcesPath,
  from: string = __dirname,
): string | null {
  if (env.FLOWSCOPE_CAPTURE_HELPER)
    return existsSync(env.FLOWSCOPE_CAPTURE_HELPER) ? env.FLOWSCOPE_CAPTURE_HELPER : null
  const candidates: string[] = []
  if (resourcesPath)
    candidates.push(
      join(resourcesPath, CAPTURE_HELPER),
      join(resourcesPath, 'app.asar.unpacked', CHECKOUT_PATH),
    )
  let dir = from
  for (let i = 0; i < 6; i++) {
    // Nothing inside an asar archive can be executed; its unpacked twin can.
    candidates.push(join(dir, CHECKOUT_PATH).replace(/app\.asar(?=[/\\])/, 'app.asar.unpacked'))
    dir = dirname(dir)
  }
  return candidates.find((c) => existsSync(c)) ?? null
}

/** Interface names as the kernel allows them (dev_valid_name), plus libpcap's "any". */
export function validInterfaceName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= 15 &&
    name !== '.' &&
    name !== '..' &&
    !name.startsWith('-') &&
    /^[\x21-\x7e]+$/.test(name) &&
    !/[/:]/.test(name)
  )
}

export interface HelperCheck {
  path: string
  ok: boolean
  /** Why not, when !ok: this user cannot run it, or it runs without CAP_NET_RAW. */
  cannotRun: boolean
  message: string | null
}

/** Whether this user may execute the helper (the package allows one group). */
export function canRunHelper(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Runs `flowscope-capture --check` (a packet socket opened and closed, nothing captured). */
export function checkCaptureHelper(path: string): HelperCheck {
  if (!canRunHelper(path))
    return { path, ok: false, cannotRun: true, message: `cannot run ${path}` }
  const r = spawnSync(path, ['--check'], { encoding: 'utf8', timeout: 5000 })
  if (r.status === 0 && r.stdout.trim() === 'ok')
    return { path, ok: true, cannotRun: false, message: null }
  const line = parseLine(firstLine(r.stderr ?? ''))
  return {
    path,
    ok: false,
    cannotRun: r.error !== undefined,
    message: line?.kind === 'error' ? line.message : (r.error?.message ?? 'check failed'),
  }
}

export interface HelperOptions {
  snaplen: number
  bufferBytes: number
  promiscuous: boolean
  filter?: string
}

type Line =
  | { kind: 'ready'; dlt: number; snaplen: number }
  | { kind: 'stats'; stats: CaptureStats }
  | { kind: 'error'; code: string; message: string }

function parseLine(line: string): Line | null {
  const [kind, ...rest] = line.split(' ')
  if (kind === 'ready' && rest.length === 2)
    return { kind, dlt: Number(rest[0]), snaplen: Number(rest[1]) }
  if (kind === 'stats' && rest.length === 3) {
    const [received, dropped_kernel, dropped_interface] = rest.map(Number) as [
      number,
      number,
      number,
    ]
    if ([received, dropped_kernel, dropped_interface].every(Number.isSafeInteger))
      return { kind, stats: { received, dropped_kernel, dropped_interface } }
  }
  if (kind === 'error' && rest.length >= 1)
    return { kind, code: rest[0]!, message: rest.slice(1).join(' ') }
  return null
}

const HELPER_CODES: readonly string[] = [
  'PERMISSION_DENIED',
  'NO_SUCH_DEVICE',
  'INTERFACE_DOWN',
  'BAD_FILTER',
  'CAPTURE_FAILED',
]

/** A running helper: its pcap stream's descriptor and its status lines, read without blocking. */
export class HelperProcess {
  /** Latest pcap_stats the helper reported. */
  stats: CaptureStats | null = null
  /** The error the helper reported before it stopped, if any. */
  error: { code: CaptureErrorCode; message: string } | null = null
  private pending = ''
  private statusOpen = true
  private stopped = false

  private constructor(
    readonly path: string,
    /** Read end of the helper's stdout: the pcap stream. The caller closes it. */
    readonly streamFd: number,
    private readonly statusFd: number,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts the helper and waits (synchronously, bounded) until it has opened the interface:
   * the pcap header is then on `streamFd`. Errors are CaptureErrors with today's codes.
   */
  static start(
    native: NativeModule,
    path: string,
    iface: string,
    options: HelperOptions,
  ): HelperProcess {
    const args = ['-i', iface, '-s', String(options.snaplen), '-B', String(options.bufferBytes)]
    if (!options.promiscuous) args.push('-p')
    if (options.filter) args.push('-f', options.filter)
    const [outR, outW] = native.makePipe()
    const [errR, errW] = native.makePipe()
    let child: ChildProcess
    try {
      child = spawn(path, args, { stdio: ['ignore', outW, errW] })
    } finally {
      closeSync(outW)
      closeSync(errW)
    }
    const helper = new HelperProcess(path, outR, errR, child)
    // A failed exec (not in the group, gone) is reported on the event loop; we already know.
    child.on('error', () => {})
    if (child.pid === undefined) {
      helper.stop()
      throw new CaptureError('PERMISSION_DENIED', `cannot run the capture helper ${path}`)
    }
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0 || !native.waitReadable(errR, left)) {
        helper.stop()
        throw new CaptureError(
          'CAPTURE_FAILED',
          `the capture helper did not open ${iface} within ${START_TIMEOUT_MS / 1000} s`,
        )
      }
      const line = helper.readLine(native)
      if (line?.kind === 'ready') return helper
      if (line?.kind === 'error') {
        helper.stop()
        const code = (
          HELPER_CODES.includes(line.code) ? line.code : 'CAPTURE_FAILED'
        ) as CaptureErrorCode
        throw new CaptureError(code, line.message)
      }
      if (!helper.statusOpen) {
        helper.stop()
        throw new CaptureError('CAPTURE_FAILED', `the capture helper ${path} stopped at start`)
      }
    }
  }

  /** Reads what the status pipe holds now and returns the first complete line, if any. */
  private readLine(native: NativeModule): Line | null {
    const nl = this.pending.indexOf('\n')
    if (nl < 0 && this.statusOpen && native.waitReadable(this.statusFd, 0)) {
      const buf = Buffer.alloc(MAX_LINE)
      const n = readSync(this.statusFd, buf, 0, buf.length, null)
      if (n === 0) this.statusOpen = false
      // A line longer than MAX_LINE is cut: only our own helper writes here.
      this.pending = (this.pending + buf.toString('utf8', 0, n)).slice(-4 * MAX_LINE)
    }
    const at = this.pending.indexOf('\n')
    if (at < 0) return null
    const line = parseLine(this.pending.slice(0, at))
    this.pending = this.pending.slice(at + 1)
    if (line?.kind === 'stats') this.stats = line.stats
    if (line?.kind === 'error')
      this.error = {
        code: (HELPER_CODES.includes(line.code) ? line.code : 'CAPTURE_FAILED') as CaptureErrorCode,
        message: line.message,
      }
    return line
  }

  /** Takes every status line already written, without blocking. */
  drain(native: NativeModule): void {
    while (!this.stopped) {
      const complete = this.pending.includes('\n')
      if (!complete && !(this.statusOpen && native.waitReadable(this.statusFd, 0))) break
      this.readLine(native)
    }
  }

  /** Fresh pcap_stats: asks the helper (SIGUSR1) and waits for its answer at most waitMs. */
  requestStats(native: NativeModule, waitMs: number): CaptureStats | null {
    this.drain(native)
    if (this.stopped || !this.statusOpen) return this.stats
    const before = this.stats
    this.child.kill('SIGUSR1')
    const deadline = Date.now() + waitMs
    while (this.statusOpen && this.stats === before) {
      const left = deadline - Date.now()
      if (left <= 0 || !native.waitReadable(this.statusFd, left)) break
      this.readLine(native)
    }
    return this.stats
  }

  /**
   * Asks the helper to end (SIGTERM): it writes what the kernel still holds, then closes the
   * stream, which the reader sees as its end. The status pipe stays open for the last stats.
   */
  finish(): void {
    if (this.stopped) return
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
  }

  /** Ends the helper (SIGTERM) and closes our status pipe; the caller closes streamFd. */
  stop(): void {
    if (this.stopped) return
    this.finish()
    this.stopped = true
    closeSync(this.statusFd)
  }
}
