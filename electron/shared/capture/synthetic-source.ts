/** Frames from memory: tests replay hand-made or mutated frames through the real pipeline. */
import type { CaptureSource, PacketSink, PumpResult } from './source'

export interface SyntheticFrame {
  tsUs: number
  data: Uint8Array
  /** Defaults to data.length (nothing cut off by a snap length). */
  wireLen?: number
}

export class SyntheticSource implements CaptureSource {
  readonly kind = 'synthetic'
  private next = 0

  constructor(
    private readonly frames: readonly SyntheticFrame[],
    readonly linkType = 1,
    readonly linkTypeName = 'EN10MB',
  ) {}

  pump(sink: PacketSink, maxPackets: number): PumpResult {
    const end = Math.min(this.frames.length, this.next + maxPackets)
    const start = this.next
    for (; this.next < end; this.next++) {
      const f = this.frames[this.next]!
      sink(f.tsUs, f.data, f.wireLen ?? f.data.length)
    }
    return { packets: end - start, status: this.next >= this.frames.length ? 'eof' : 'more' }
  }

  stats(): null {
    return null
  }

  progress(): number {
    return this.frames.length === 0 ? 1 : this.next / this.frames.length
  }

  close(): void {
    this.next = this.frames.length
  }
}
