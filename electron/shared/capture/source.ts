/**
 * A capture source yields frames (capture timestamp in µs, captured bytes, length on the wire)
 * in batches. Live interfaces, pcap/pcapng files and synthetic frames in tests all implement it,
 * so one pipeline (pipeline.ts) feeds the flow aggregator from any of them.
 */
import type { CaptureHealth } from '../../../common/contract'

/** Receives one frame. `data` is only valid during the call (the buffer is reused). */
export type PacketSink = (tsUs: number, data: Uint8Array, wireLen: number) => void

/**
 * more: call again at once; idle: nothing buffered right now (live), poll later;
 * eof: the file or frame list is done; error: reading stopped, `error` says why (the packets
 * delivered before it are good).
 */
export type PumpStatus = 'more' | 'idle' | 'eof' | 'error'

export interface PumpResult {
  packets: number
  status: PumpStatus
  error?: string
}

/**
 * Capture health from pcap_stats (what libpcap saw, what the kernel or interface dropped): one
 * type from the addon's reading (libpcap-source.ts) through the worker protocol to the contract.
 */
export type CaptureStats = CaptureHealth

export interface CaptureSource {
  readonly kind: 'live' | 'file' | 'synthetic'
  /** pcap LINKTYPE_ number of the frames. */
  readonly linkType: number
  /** libpcap's name for it ("EN10MB"), or "DLT_<n>" when libpcap has none. */
  readonly linkTypeName: string
  /**
   * Delivers up to `maxPackets` frames to `sink` (a file source fixes the batch size on its first
   * call). Never waits for traffic; a file may wait briefly for its read-ahead thread.
   */
  pump(sink: PacketSink, maxPackets: number): PumpResult
  /**
   * Sources that can wait for traffic off the event loop (the capture helper's stream): resolves
   * true once pump() has frames or the stream ended, false after timeoutMs. Others are polled.
   */
  readonly waitReady?: (timeoutMs: number) => Promise<boolean>
  /**
   * Asks a live source to hand over what it still holds and then end its stream, so a stop
   * counts every packet captured before it (the capture helper's last kernel block).
   */
  readonly finish?: () => void
  /** Live sources only; null for files and synthetic frames. */
  stats(): CaptureStats | null
  /** Fraction of a file read so far (0..1); null when unknown. */
  progress(): number | null
  close(): void
}
