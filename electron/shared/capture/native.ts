/**
 * Loader for native/pcapbatch (fsc_pcapbatch.node): libpcap read in batches into one buffer.
 * node-pcap calls back into JS once per packet, which costs more than decoding the packet and,
 * for live capture, loops until the kernel ring is empty without yielding to the event loop.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { CaptureError } from './errors'

export interface NativeStats {
  recv: number
  drop: number
  ifdrop: number
}

/**
 * [bytesUsed, packets, status (0 more, 1 eof, 2 error, 3 idle), error message or null,
 * read-ahead slot the records are in (-1 for read())].
 */
export type NativeReadResult = [number, number, 0 | 1 | 2 | 3, string | null, number]

export interface NativeHandle {
  read(buffer: ArrayBuffer, maxPackets: number): NativeReadResult
  /**
   * Files and streams: from now on a thread fills these buffers (2..64, each >= 262,160 bytes,
   * kept alive and never transferred by the caller) in turn, up to maxPackets each.
   */
  startReadAhead(buffers: ArrayBuffer[], maxPackets: number): void
  /**
   * The next filled buffer; hands the previous one back to the thread. Waits for it, or at most
   * `waitMs` (then an empty idle result).
   */
  takeAhead(waitMs?: number): NativeReadResult
  /**
   * Resolves true once takeAhead() would not wait (a batch is ready or the stream ended), false
   * after timeoutMs. The wait runs off the event loop (a libuv pool thread).
   */
  waitAhead(timeoutMs: number): Promise<boolean>
  /** Live handles only; null for files, streams and while reading ahead. */
  stats(): NativeStats | null
  close(): void
  setFilter(expression: string): void
  /** Bytes of the file or stream consumed so far, for progress. */
  position(): number
  readonly dlt: number
  readonly dltName: string | null
  readonly snaplen: number
}

export interface NativeModule {
  Handle: {
    new (kind: 'file', path: string): NativeHandle
    /** A pcap stream on a descriptor (a pipe); the addon keeps its own duplicate. */
    new (kind: 'stream', fd: number): NativeHandle
    new (
      kind: 'live',
      device: string,
      snaplen: number,
      bufferBytes: number,
      promisc: boolean,
    ): NativeHandle
  }
  /** A close-on-exec pipe: [readFd, writeFd]. */
  makePipe(): [number, number]
  /** Whether fd has data (or end of file) within timeoutMs. */
  waitReadable(fd: number, timeoutMs: number): boolean
  libVersion: string
}

const ADDON = join('native', 'pcapbatch', 'build', 'Release', 'fsc_pcapbatch.node')

let cached: NativeModule | null = null

/** Finds the addon from the source tree (tests) or the build (out/main); throws NATIVE_MISSING. */
export function loadNative(): NativeModule {
  if (cached) return cached
  const override = process.env.FLOWSCOPE_PCAPBATCH
  let dir = __dirname
  let found: string | null = override && existsSync(override) ? override : null
  for (let i = 0; i < 6 && !found; i++) {
    const candidate = join(dir, ADDON)
    if (existsSync(candidate)) found = candidate
    dir = dirname(dir)
  }
  if (!found) {
    throw new CaptureError(
      'NATIVE_MISSING',
      'the capture addon is not built: run `npm run build:native` (needs libpcap-dev, make, g++)',
    )
  }
  cached = createRequire(__filename)(found) as NativeModule
  return cached
}
