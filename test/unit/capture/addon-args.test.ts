/**
 * The pcapbatch addon under misuse: every bad argument is a clean TypeError / RangeError (never
 * a crash), and calls that would race the read-ahead thread are refused. Plus pcap streams on a
 * pipe (the capture helper's path): same frames as the file, and close() ends a silent pipe.
 */
import { closeSync, mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadNative, type NativeModule } from '../../../electron/shared/capture/native'
import { nativeBuilt } from './native-built'
import { pcapFile, udp4 } from './pcap-file'

const built = nativeBuilt()
const dir = mkdtempSync(join(tmpdir(), 'fsc-addon-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const frames = Array.from({ length: 500 }, (_, i) => ({
  tsUs: 1_700_000_000_000_000 + i * 1000,
  data: udp4('10.0.0.1', '10.0.0.2', 1000 + (i % 7), 53),
}))
const BIG = 262_160

function goodFile(): string {
  const path = join(dir, 'good.pcap')
  writeFileSync(path, pcapFile(frames))
  return path
}

/** Constructs through an untyped door, as a caller with bad data would. */
function make(native: NativeModule, ...args: unknown[]): unknown {
  const Ctor = native.Handle as unknown as new (...a: unknown[]) => unknown
  return new Ctor(...args)
}

describe.skipIf(!built)('pcapbatch addon arguments', () => {
  const native = built ? loadNative() : (null as unknown as NativeModule)

  it('rejects bad constructor arguments with TypeError / RangeError', () => {
    expect(() => make(native)).toThrow(TypeError)
    expect(() => make(native, 42)).toThrow(TypeError)
    expect(() => make(native, 'socket', 'x')).toThrow(RangeError)
    expect(() => make(native, 'file')).toThrow(TypeError)
    expect(() => make(native, 'file', {})).toThrow(TypeError)
    expect(() => make(native, 'file', '')).toThrow(TypeError)
    expect(() => make(native, 'file', 'a\0b')).toThrow(/NUL/)
    expect(() => make(native, 'stream', -1)).toThrow(RangeError)
    expect(() => make(native, 'stream', 1.5)).toThrow(RangeError)
    expect(() => make(native, 'stream', '3')).toThrow(TypeError)
    expect(() => make(native, 'live', 'lo')).toThrow(TypeError)
    expect(() => make(native, 'live', 'lo', 0, 1 << 20, true)).toThrow(RangeError)
    expect(() => make(native, 'live', 'lo', 300_000, 1 << 20, true)).toThrow(RangeError)
    expect(() => make(native, 'live', 'lo', 128, Number.NaN, true)).toThrow(RangeError)
    expect(() => make(native, 'live', 'lo', 128, 1 << 20, 'yes')).toThrow(TypeError)
    expect(() => make(native, 'live', 'x'.repeat(300), 128, 1 << 20, true)).toThrow(RangeError)
  })

  it('rejects bad read / read-ahead / filter arguments; no crash', () => {
    const h = new native.Handle('file', goodFile())
    const read = h.read.bind(h) as (...a: unknown[]) => unknown
    expect(() => read()).toThrow(TypeError)
    expect(() => read(new Uint8Array(BIG), 10)).toThrow(TypeError) // a view, not an ArrayBuffer
    expect(() => read(new ArrayBuffer(1000), 10)).toThrow(RangeError) // too small for one record
    expect(() => read(new ArrayBuffer(BIG), 0)).toThrow(RangeError)
    expect(() => read(new ArrayBuffer(BIG), -5)).toThrow(RangeError)
    expect(() => read(new ArrayBuffer(BIG), '10')).toThrow(TypeError)
    const setFilter = h.setFilter.bind(h) as (...a: unknown[]) => unknown
    expect(() => setFilter(12)).toThrow(TypeError)
    expect(() => setFilter('udp\0port 53')).toThrow(/NUL/)
    const start = h.startReadAhead.bind(h) as (...a: unknown[]) => unknown
    expect(() => start('x', 10)).toThrow(TypeError)
    expect(() => start([new ArrayBuffer(BIG)], 10)).toThrow(RangeError) // one slot
    expect(() => start([new ArrayBuffer(BIG), 7], 10)).toThrow(TypeError)
    expect(() => start([new ArrayBuffer(BIG), new ArrayBuffer(16)], 10)).toThrow(RangeError)
    const shared = new ArrayBuffer(BIG)
    expect(() => start([shared, shared], 10)).toThrow(/distinct/)
    expect(() =>
      start(
        Array.from({ length: 65 }, () => new ArrayBuffer(16)),
        10,
      ),
    ).toThrow(RangeError)
    const take = h.takeAhead.bind(h) as (...a: unknown[]) => unknown
    expect(() => take()).toThrow(/before startReadAhead/)
    expect(() => take(-1)).toThrow(RangeError)
    // None of the refusals consumed anything: the handle still reads all 500 frames.
    const r = h.read(new ArrayBuffer(1 << 20), 10_000)
    expect(r[1]).toBe(500)
    h.close()
    expect(() => h.read(new ArrayBuffer(BIG), 1)).toThrow(/closed/)
    h.close() // twice is fine
  })

  it('guards the pcap handle while the read-ahead thread owns it', () => {
    const h = new native.Handle('file', goodFile())
    h.setFilter('udp port 53')
    h.startReadAhead([new ArrayBuffer(BIG), new ArrayBuffer(BIG)], 100)
    expect(() => h.setFilter('tcp')).toThrow(/read-ahead/)
    expect(() => h.read(new ArrayBuffer(BIG), 1)).toThrow(/read-ahead/)
    expect(() => h.startReadAhead([new ArrayBuffer(BIG), new ArrayBuffer(BIG)], 1)).toThrow(
      /already started/,
    )
    expect(h.stats()).toBeNull()
    expect(h.dlt).toBe(1) // cached at open: no pcap call beside the thread
    expect(h.snaplen).toBe(65535)
    let packets = 0
    for (;;) {
      const [, n, status] = h.takeAhead()
      packets += n
      if (status === 1) break
    }
    expect(packets).toBe(500)
    h.close()
  })

  it('waitReadable and makePipe check their arguments', () => {
    const wait = native.waitReadable as (...a: unknown[]) => unknown
    expect(() => wait()).toThrow(TypeError)
    expect(() => wait(0, -1)).toThrow(RangeError)
    expect(() => wait(987_654, 0)).toThrow(/not an open descriptor/)
    const [r, w] = native.makePipe()
    expect(native.waitReadable(r, 0)).toBe(false)
    writeSync(w, 'x')
    expect(native.waitReadable(r, 0)).toBe(true)
    closeSync(r)
    closeSync(w)
  })
})

describe.skipIf(!built)('pcap streams on a pipe', () => {
  const native = built ? loadNative() : (null as unknown as NativeModule)

  it('reads the same frames through a pipe as from the file', () => {
    const bytes = pcapFile(frames)
    const [r, w] = native.makePipe()
    // The pipe holds 64 KiB: write what fits now, the rest as the reader drains it.
    let off = writeSync(w, bytes, 0, 24)
    const h = new native.Handle('stream', r)
    closeSync(r)
    const buffers = [new ArrayBuffer(BIG), new ArrayBuffer(BIG), new ArrayBuffer(BIG)]
    h.startReadAhead(buffers, 1000)
    let packets = 0
    let wire = 0
    let writerOpen = true
    // Bounded: a reader that never reached the end fails below instead of hanging.
    for (let spins = 0; spins < 20_000; spins++) {
      if (off < bytes.length) off += writeSync(w, bytes, off, Math.min(4096, bytes.length - off))
      else if (writerOpen) {
        closeSync(w)
        writerOpen = false
      }
      const [used, n, status, , slot] = h.takeAhead(5)
      packets += n
      if (n > 0) {
        const u32 = new Uint32Array(buffers[slot]!, 0, used >> 2)
        for (let o = 0; o < used;) {
          wire += u32[(o >> 2) + 3]!
          o = (o + 16 + u32[(o >> 2) + 2]! + 7) & ~7
        }
      }
      if (status === 1 || status === 2) break
    }
    expect(packets).toBe(frames.length)
    expect(wire).toBe(frames.reduce((s, f) => s + f.data.length, 0))
    expect(h.position()).toBe(bytes.length)
    h.close()
  })

  it('close() ends a read-ahead thread waiting on a silent pipe', () => {
    const [r, w] = native.makePipe()
    writeSync(w, pcapFile([]))
    const h = new native.Handle('stream', r)
    closeSync(r)
    h.startReadAhead([new ArrayBuffer(BIG), new ArrayBuffer(BIG)], 100)
    const t0 = Date.now()
    const [, n, status] = h.takeAhead(50)
    expect([n, status]).toEqual([0, 3]) // idle: nothing came
    expect(Date.now() - t0).toBeLessThan(2000)
    h.close() // would hang forever if the thread stayed in read()
    closeSync(w)
  })

  it('waitAhead() resolves when a batch comes, false when none did, true once closed', async () => {
    const [r, w] = native.makePipe()
    writeSync(w, pcapFile([]))
    const h = new native.Handle('stream', r)
    closeSync(r)
    const wait = h.waitAhead.bind(h) as (...a: unknown[]) => unknown
    expect(() => wait(10)).toThrow(/before startReadAhead/)
    h.startReadAhead([new ArrayBuffer(BIG), new ArrayBuffer(BIG)], 100)
    expect(() => wait(-1)).toThrow(RangeError)
    expect(() => wait('5')).toThrow(TypeError)
    expect(await h.waitAhead(30)).toBe(false) // a silent pipe
    const coming = h.waitAhead(10_000)
    writeSync(w, pcapFile(frames.slice(0, 3)).subarray(24)) // records only: the header went first
    expect(await coming).toBe(true)
    const [, n, status] = h.takeAhead(0)
    expect([n, status]).toEqual([3, 0])
    const pending = h.waitAhead(10_000)
    h.close() // wakes the waiter instead of leaving it for 10 s
    expect(await pending).toBe(true)
    closeSync(w)
  })
})
