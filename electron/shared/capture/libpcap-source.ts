/**
 * Live and file sources through libpcap, read in batches by native/pcapbatch. BPF filters run in
 * libpcap (in the kernel for live captures).
 */
import { statSync } from 'node:fs'
import { CaptureError, GRANT_CAPTURE_ADVICE, firstLine, type CaptureErrorCode } from './errors'
import { dltToLinkType } from './linktype'
import { loadNative, type NativeHandle, type NativeReadResult } from './native'
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

class LibpcapSource implements CaptureSource {
  readonly linkType: number
  readonly linkTypeName: string
  /** Live: one buffer read synchronously. Files: the read-ahead ring, started on the first pump. */
  private slots: Views[] = []
  private closed = false

  constructor(
    readonly kind: 'live' | 'file',
    private readonly handle: NativeHandle,
    private readonly fileBytes: number,
  ) {
    const dlt = handle.dlt
    this.linkType = dltToLinkType(dlt)
    this.linkTypeName = handle.dltName ?? `DLT_${dlt}`
  }

  pump(sink: PacketSink, maxPackets: number): PumpResult {
    if (this.closed) return { packets: 0, status: 'eof' }
    let batch: NativeReadResult
    if (this.kind === 'file') {
      if (this.slots.length === 0) {
        this.slots = Array.from({ length: AHEAD_SLOTS }, () => views(AHEAD_BYTES))
        this.handle.startReadAhead(
          this.slots.map((v) => v.buffer),
          maxPackets,
        )
      }
      batch = this.handle.takeAhead()
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
    return result
  }

  stats(): CaptureStats | null {
    if (this.kind !== 'live' || this.closed) return null
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
  return new LibpcapSource('file', handle, size)
}

const ACTIVATE_ADVICE: Partial<Record<CaptureErrorCode, (iface: string) => string>> = {
  PERMISSION_DENIED: (iface) => `no permission to capture on ${iface}: ${GRANT_CAPTURE_ADVICE}`,
  NO_SUCH_DEVICE: (iface) => `no such interface: ${iface} (see flowscope interfaces)`,
  INTERFACE_DOWN: (iface) =>
    `interface ${iface} is down: bring it up first (ip link set ${iface} up)`,
}

/** Opens a live capture: immediate mode, large kernel buffer, short snap length, optional BPF. */
export function openLive(iface: string, options: LiveOptions = {}): CaptureSource {
  const native = loadNative()
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
    const message = firstLine(nativeMessage(err))
    let code = (nativeCode(err) ?? 'CAPTURE_FAILED') as CaptureErrorCode
    if (code === 'CAPTURE_FAILED' && /permission|not permitted/i.test(message))
      code = 'PERMISSION_DENIED'
    const advice = ACTIVATE_ADVICE[code]
    throw new CaptureError(
      code,
      advice ? `${advice(iface)} (${message})` : `cannot capture on ${iface}: ${message}`,
    )
  }
  applyFilter(handle, options.filter)
  return new LibpcapSource('live', handle, 0)
}
