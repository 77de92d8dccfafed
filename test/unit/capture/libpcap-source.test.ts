import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CaptureError } from '../../../electron/shared/capture/errors'
import { openFile, openLive } from '../../../electron/shared/capture/libpcap-source'
import { dltToLinkType } from '../../../electron/shared/capture/linktype'
import type { CaptureSource } from '../../../electron/shared/capture/source'
import { nativeBuilt } from './native-built'
import { pcapFile, pcapngFile, udp4, tcp4, type Frame } from './pcap-file'

const dir = mkdtempSync(join(tmpdir(), 'fsc-src-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

function readAll(source: CaptureSource, batch = 1000): { frames: Frame[]; statuses: string[] } {
  const frames: Frame[] = []
  const statuses: string[] = []
  for (;;) {
    const r = source.pump(
      (tsUs, data, wireLen) => frames.push({ tsUs, data: data.slice(), wireLen }),
      batch,
    )
    statuses.push(r.status)
    if (r.status !== 'more') break
  }
  source.close()
  return { frames, statuses }
}

function captureError(fn: () => unknown): CaptureError {
  try {
    fn()
  } catch (err) {
    if (err instanceof CaptureError) return err
    throw err
  }
  throw new Error('expected a CaptureError')
}

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000
const frames: Frame[] = [
  { tsUs: T0 + 1, data: udp4('10.0.0.1', '10.0.0.2', 1000, 53) },
  {
    tsUs: T0 + 999_999,
    data: tcp4('10.0.0.2', '10.0.0.1', 80, 1234, 0x02).subarray(0, 40),
    wireLen: 1514,
  },
  { tsUs: T0 + 2_000_123, data: udp4('10.0.0.2', '10.0.0.1', 53, 1000, 3) },
]

describe('link types', () => {
  it('map libpcap DLT numbers to LINKTYPE numbers', () => {
    expect(dltToLinkType(1)).toBe(1)
    expect(dltToLinkType(12)).toBe(101)
    expect(dltToLinkType(14)).toBe(101)
    expect(dltToLinkType(113)).toBe(113)
    expect(dltToLinkType(276)).toBe(276)
  })
})

describe.skipIf(!nativeBuilt())('libpcap file source', () => {
  for (const [name, bytes] of [
    ['pcap (µs)', pcapFile(frames)],
    ['pcap (ns)', pcapFile(frames, 1, { nano: true })],
    ['pcapng', pcapngFile(frames)],
  ] as const) {
    it(`reads ${name}: timestamps, captured bytes and wire length`, () => {
      const source = openFile(file(`${name}.cap`, bytes))
      expect(source.kind).toBe('file')
      expect(source.linkType).toBe(1)
      expect(source.linkTypeName).toBe('EN10MB')
      const { frames: got, statuses } = readAll(source)
      expect(got.map((f) => f.tsUs)).toEqual(frames.map((f) => f.tsUs))
      expect(got.map((f) => f.wireLen)).toEqual([
        frames[0]!.data.length,
        1514,
        frames[2]!.data.length,
      ])
      got.forEach((f, i) =>
        expect(Buffer.from(f.data).equals(Buffer.from(frames[i]!.data))).toBe(true),
      )
      expect(statuses.at(-1)).toBe('eof')
    })
  }

  it('delivers in batches of at most maxPackets and reports progress to 1', () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({
      tsUs: T0 + i,
      data: udp4('10.0.0.1', '10.0.0.2', i, 9),
    }))
    const source = openFile(file('many.pcap', pcapFile(many)))
    const sizes: number[] = []
    let status = 'more'
    while (status === 'more') {
      const r = source.pump(() => {}, 1000)
      sizes.push(r.packets)
      status = r.status
    }
    expect(sizes.slice(0, 3)).toEqual([1000, 1000, 500])
    expect(source.progress()).toBe(1)
    source.close()
  })

  it('maps raw IP (LINKTYPE 101) through libpcap back to 101', () => {
    const raw = frames.map((f) => ({ ...f, data: f.data.subarray(14) }))
    const source = openFile(file('raw.pcap', pcapFile(raw, 101)))
    expect(source.linkType).toBe(101)
    source.close()
  })

  it('applies a BPF filter in libpcap', () => {
    const { frames: got } = readAll(
      openFile(file('f.pcap', pcapFile(frames)), { filter: 'udp and src host 10.0.0.2' }),
    )
    expect(got).toHaveLength(1)
    expect(got[0]!.tsUs).toBe(T0 + 2_000_123)
  })

  it('stops with status error (not a throw) at a truncated last record', () => {
    const bytes = pcapFile(frames)
    const { frames: got, statuses } = readAll(
      openFile(file('cut.pcap', bytes.subarray(0, bytes.length - 5))),
    )
    expect(got).toHaveLength(2)
    expect(statuses.at(-1)).toBe('error')
  })

  it('fails clearly on missing, directory, empty, non-pcap files and bad filters', () => {
    expect(captureError(() => openFile(join(dir, 'nope.pcap'))).code).toBe('NO_SUCH_FILE')
    expect(captureError(() => openFile(dir)).code).toBe('UNREADABLE_FILE')
    expect(captureError(() => openFile(file('empty.pcap', ''))).code).toBe('NOT_A_CAPTURE')
    const text = captureError(() => openFile(file('text.pcap', 'hello, this is not a capture\n')))
    expect(text.code).toBe('NOT_A_CAPTURE')
    expect(text.message).not.toContain('\n')
    const bad = captureError(() =>
      openFile(file('ok.pcap', pcapFile(frames)), { filter: 'tcp port' }),
    )
    expect(bad.code).toBe('BAD_FILTER')
    expect(bad.message).toMatch(/^bad filter 'tcp port': /)
  })

  it('fails clearly on a missing interface', () => {
    const err = captureError(() => openLive('fscnope0'))
    expect(['NO_SUCH_DEVICE', 'PERMISSION_DENIED']).toContain(err.code)
    expect(err.message).not.toContain('\n')
  })
})
