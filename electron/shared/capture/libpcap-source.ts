/**
 * Live and file sources through libpcap, read in batches by native/pcapbatch. BPF filters run in
 * libpcap (in the kernel for live captures).
 *
 * Live captures go through the capture helper (capture-helper.ts) whenever it is there, even when
 * this process could open the interface itself (root): the worker then never holds a capability,
 * and the path users without root take is the one the tests exercise. Without a helper, or with
 * FLOWSCOPE_CAPTURE_DIRECT=1 (benchmarks), a process with CAP_NET_RAW opens it in-process.
 */
import { closeSync, statSync } from 'node:fs'
import {
  canRunHelper,
  findCaptureHelper,
  HelperProcess,
  validInterfaceName,
} from './capture-helper'
import { CaptureError, captureAdvice, firstLine, type CaptureErrorCode } from './errors'
import { dltToLinkType } from './linktype'
import { loadNative, type NativeHandle, type NativeModule, type NativeReadResult } from './native'
import type { CaptureSource, CaptureStats, PacketSink, PumpResult } from './source'

export interface LiveOptions {
  /** Bytes kept per packet; enough for the headers the decoders read. */
  snaplen?: number
  /** Kernel capture buffer; large so bursts survive a busy event loop. */
  bufferBytes?: number
  promiscuous?: boolean
  filter?: string
}

export const DEFAULT_SNAPLEN = 128
export const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024
/** Batch buffer: thousands of headers-only records per native call; never less than one 256 KiB record. */
const BATCH_BYTES = 4 * 1024 * 1024
/** Files read ahead into a ring of these, so libpcap works on one while the aggregator reads another. */
const AHEAD_SLOTS = 3
const AHEAD_BYTES = 2 * 1024 * 1024
/** A pipe may stay silent: wait this long for a batch, then give the event loop its turn (Ctrl-C). */
const STREAM_WAIT_MS = 20
/** How long stats() waits for the helper's answer to a fresh pcap_stats. */
const HELPER_STATS_WAIT_MS = 100
const STATUS = ['more', 'eof', 'error', 'idle'] as const

interface Views {
  buffer: ArrayBuffer
  f64: Float64Array
  u32: Uint32Array
}

function views(bytes: number): Views {
  const buffer = new ArrayBuffer(bytes)
  return {
    buffer,
    f64: new Float64Array(buffer),
    u32: new Uint32Array(buffer),
  }
}

/** How a handle is read: in-process live capture, a file, or a pipe (standard input, the helper). */
interface Reading {
  /** Read ahead by the addon's thread (files and pipes) rather than synchronously (live). */
  ahead: boolean
  /** Longest wait for a batch in takeAhead (undefined: until it comes, for seekable files). */
  waitMs?: number
  /** The capture helper behind a live pipe. */
  helper?: { process: HelperProcess; native: NativeModule }
}

class LibpcapSource implements CaptureSource {
  readonly linkType: number
  readonly linkTypeName: string
  /** Live: one buffer read synchronously. Files, pipes: the read-ahead ring, started on the first pump. */
  private slots: Views[] = []
  private closed = false
  readonly waitReady?: (timeoutMs: number) => Promise<boolean>
  readonly finish?: () => void

  constructor(
    readonly kind: 'live' | 'file',
    private readonly handle: NativeHandle,
    private readonly fileBytes: number,
    private readonly reading: Reading = { ahead: kind === 'file' },
  ) {
    const dlt = handle.dlt
    this.linkType = dltToLinkType(dlt)
    this.linkTypeName = handle.dltName ?? `DLT_${dlt}`
    const helper = reading.helper
    if (helper) {
      this.waitReady = (ms) => {
        if (this.closed) return Promise.resolve(true)
        // The read-ahead thread starts on the first pump.
        if (this.slots.length === 0) return Promise.resolve(true)
        return this.handle.waitAhead(ms)
      }
      this.finish = () => helper.process.finish()
    }
  }

  pump(sink: PacketSink, maxPackets: number): PumpResult {
    if (this.closed) return { packets: 0, status: 'eof' }
    let batch: NativeReadResult
    if (this.reading.ahead) {
      if (this.slots.length === 0) {
        this.slots = Array.from({ length: AHEAD_SLOTS }, () => views(AHEAD_BYTES))
        this.handle.startReadAhead(
          this.slots.map((v) => v.buffer),
          maxPackets,
        )
      }
      batch = this.handle.takeAhead(this.reading.waitMs)
    } else {
      if (this.slots.length === 0) this.slots = [views(BATCH_BYTES)]
      batch = this.handle.read(this.slots[0]!.buffer, maxPackets)
    }
    const [used, packets, status, error, slot] = batch
    const { buffer, f64, u32 } = this.slots[Math.max(0, slot)]!
    let off = 0
    while (off < used) {
      const capLen = u32[(off >> 2) + 2]!
      const start = off + 16
      // A fresh view per frame (the sink's API); `new Uint8Array(buffer, ...)` is ~2x cheaper than subarray().
      sink(f64[off >> 3]!, new Uint8Array(buffer, start, capLen), u32[(off >> 2) + 3]!)
      off = (start + capLen + 7) & ~7
    }
    const result: PumpResult = { packets, status: STATUS[status] }
    if (error !== null) result.error = firstLine(error)
    const helper = this.reading.helper
    if (helper && (result.status === 'eof' || result.status === 'error')) {
      // The helper's stream ended: it says why on its status pipe, written before it exited.
      helper.process.drain(helper.native)
      result.status = 'error'
      result.error = helper.process.error?.message ?? 'the capture helper stopped'
    }
    return result
  }

  stats(): CaptureStats | null {
    if (this.kind !== 'live' || this.closed) return null
    const helper = this.reading.helper
    if (helper) return helper.process.requestStats(helper.native, HELPER_STATS_WAIT_MS)
    const s = this.handle.stats()
    return s && { received: s.recv, dropped_kernel: s.drop, dropped_interface: s.ifdrop }
  }

  progress(): number | null {
    if (this.kind !== 'file' || this.closed || this.fileBytes <= 0) return null
    return Math.min(1, this.handle.position() / this.fileBytes)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.reading.helper?.process.stop()
    this.handle.close()
  }
}

function applyFilter(handle: NativeHandle, filter: string | undefined): void {
  if (!filter) return
  try {
    handle.setFilter(filter)
  } catch (err) {
    handle.close()
    throw new CaptureError('BAD_FILTER', `bad filter '${filter}': ${firstLine(nativeMessage(err))}`)
  }
}

function nativeMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function nativeCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code
}

/** Size of a capture file for progress; a clear CaptureError when it is missing or not a file. */
function fileSize(path: string): number {
  try {
    const st = statSync(path)
    if (st.isDirectory())
      throw new CaptureError('UNREADABLE_FILE', `${path} is a directory, not a capture file`)
    return st.size
  } catch (err) {
    if (err instanceof CaptureError) throw err
    const code = nativeCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CaptureError('NO_SUCH_FILE', `no such file: ${path}`)
    throw new CaptureError(
      'UNREADABLE_FILE',
      `cannot read ${path}: ${firstLine(nativeMessage(err))}`,
    )
  }
}

/**
 * Waits until standard input has data (or its end) without blocking the event loop, so Ctrl-C
 * works on a silent pipe; false when `signal` aborted first. Call before openFile('-'), which
 * reads the pcap header at once.
 */
export async function waitForStdin(signal?: AbortSignal): Promise<boolean> {
  const native = loadNative()
  while (!native.waitReadable(0, 0)) {
    if (signal?.aborted) return false
    await new Promise((resolve) => setTimeout(resolve, STREAM_WAIT_MS))
  }
  return signal?.aborted !== true
}

/** Opens a pcap or pcapng file (libpcap reads both); "-" reads standard input. */
export function openFile(path: string, options: { filter?: string } = {}): CaptureSource {
  const size = path === '-' ? 0 : fileSize(path)
  const label = path === '-' ? 'standard input' : path
  const native = loadNative()
  let handle: NativeHandle
  try {
    handle = new native.Handle('file', path)
  } catch (err) {
    const message = firstLine(nativeMessage(err))
    if (/permission denied/i.test(message))
      throw new CaptureError('UNREADABLE_FILE', `cannot read ${label}: permission denied`)
    throw new CaptureError(
      'NOT_A_CAPTURE',
      `${label} is not a readable pcap or pcapng file (${message.replace(`${path}: `, '')})`,
    )
  }
  applyFilter(handle, options.filter)
  // Standard input may be a silent pipe: never wait on it for long (Ctrl-C must get through).
  const reading: Reading = path === '-' ? { ahead: true, waitMs: STREAM_WAIT_MS } : { ahead: true }
  return new LibpcapSource('file', handle, size, reading)
}

function activateAdvice(
  code: CaptureErrorCode,
  iface: string,
  helper: string | null,
): string | undefined {
  if (code === 'PERMISSION_DENIED')
    return `no permission to capture on ${iface}: ${captureAdvice(helper)}`
  if (code === 'NO_SUCH_DEVICE') return `no such interface: ${iface} (see flowscope interfaces)`
  if (code === 'INTERFACE_DOWN')
    return `interface ${iface} is down: bring it up first (ip link set ${iface} up)`
  return undefined
}

/** A failure to open `iface` as a CaptureError that says what to do. */
function liveError(err: unknown, iface: string, helper: string | null): CaptureError {
  const message = firstLine(nativeMessage(err))
  let code = (nativeCode(err) ?? 'CAPTURE_FAILED') as CaptureErrorCode
  if (code === 'CAPTURE_FAILED' && /permission|not permitted/i.test(message))
    code = 'PERMISSION_DENIED'
  if (code === 'BAD_FILTER') return new CaptureError(code, message)
  const advice = activateAdvice(code, iface, helper)
  return new CaptureError(
    code,
    advice ? `${advice} (${message})` : `cannot capture on ${iface}: ${message}`,
  )
}

/**
 * Opens a live capture: immediate mode, large kernel buffer, short snap length, optional BPF.
 * Through the capture helper when there is one (see the top of this file).
 */
export function openLive(iface: string, options: LiveOptions = {}): CaptureSource {
  const native = loadNative()
  if (!validInterfaceName(iface))
    throw new CaptureError(
      'NO_SUCH_DEVICE',
      `no such interface: ${JSON.stringify(iface)} (see flowscope interfaces)`,
    )
  const helper = findCaptureHelper()
  if (helper !== null && process.env.FLOWSCOPE_CAPTURE_DIRECT !== '1')
    return openThroughHelper(native, helper, iface, options)
  let handle: NativeHandle
  try {
    handle = new native.Handle(
      'live',
      iface,
      options.snaplen ?? DEFAULT_SNAPLEN,
      options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      options.promiscuous ?? true,
    )
  } catch (err) {
    throw liveError(err, iface, helper)
  }
  applyFilter(handle, options.filter)
  return new LibpcapSource('live', handle, 0)
}

function openThroughHelper(
  native: NativeModule,
  path: string,
  iface: string,
  options: LiveOptions,
): CaptureSource {
  if (!canRunHelper(path))
    throw new CaptureError(
      'PERMISSION_DENIED',
      `no permission to capture on ${iface}: ${captureAdvice(path, true)}`,
    )
  let helper: HelperProcess
  try {
    helper = HelperProcess.start(native, path, iface, {
      snaplen: options.snaplen ?? DEFAULT_SNAPLEN,
      bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      promiscuous: options.promiscuous ?? true,
      ...(options.filter !== undefined && { filter: options.filter }),
    })
  } catch (err) {
    if (err instanceof CaptureError && err.code === 'BAD_FILTER')
      throw new CaptureError('BAD_FILTER', `bad filter '${options.filter}': ${err.message}`)
    throw liveError(err, iface, path)
  }
  let handle: NativeHandle
  try {
    handle = new native.Handle('stream', helper.streamFd)
  } catch (err) {
    helper.stop()
    throw new CaptureError(
      'CAPTURE_FAILED',
      `cannot read the capture helper's stream: ${firstLine(nativeMessage(err))}`,
    )
  } finally {
    // The addon keeps its own duplicate of the pipe.
    closeSync(helper.streamFd)
  }
  return new LibpcapSource('live', handle, 0, {
    ahead: true,
    waitMs: 0,
    helper: { process: helper, native },
  })
}
