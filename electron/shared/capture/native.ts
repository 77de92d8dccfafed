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
  /** Files: from now on a thread fills these buffers in turn, up to maxPackets each. */
  startReadAhead(buffers: ArrayBuffer[], maxPackets: number): void
  /** The next filled buffer (blocks until it is); hands the previous one back to the thread. */
  takeAhead(): NativeReadResult
  stats(): NativeStats | null
  close(): void
  setFilter(expression: string): void
  /** Bytes of the file consumed so far (files only), for progress. */
  position(): number
  readonly dlt: number
  readonly dltName: string | null
  readonly snaplen: number
}

export interface NativeModule {
  Handle: {
    new (kind: 'file', path: string): NativeHandle
    new (
      kind: 'live',
      device: string,
      snaplen: number,
      bufferBytes: number,
      promisc: boolean,
    ): NativeHandle
  }
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
