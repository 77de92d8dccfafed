/**
 * Damaged capture files: random byte flips, truncations and hostile length fields in pcap and
 * pcapng files go through libpcap and the whole pipeline. Each must be analysed, end early with
 * a warning, or be refused with a CaptureError; never anything else.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CaptureError } from '../../../electron/shared/capture/errors'
import { openFile } from '../../../electron/shared/capture/libpcap-source'
import { aggregate, allConversations, drain } from '../../../electron/shared/capture/pipeline'
import { nativeBuilt } from './native-built'
import { pcapFile, pcapngFile, tcp4, udp4 } from './pcap-file'

const dir = mkdtempSync(join(tmpdir(), 'fsc-mut-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const T0 = Date.UTC(2026, 10, 26) * 1000
const frames = Array.from({ length: 40 }, (_, i) => ({
  tsUs: T0 + i * 1000,
  data:
    i % 3 === 0
      ? udp4('10.0.0.1', '10.0.0.2', 1000 + i, 53, i)
      : tcp4('10.0.0.2', '10.0.0.1', 80, 40000, 0x18, i * 100, i),
}))

function mutate(base: Buffer, r: () => number): Buffer {
  const b = Buffer.from(base)
  const kind = Math.floor(r() * 4)
  if (kind === 0) {
    for (let i = 0; i < 1 + r() * 20; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256)
  } else if (kind === 1) {
    return b.subarray(0, Math.floor(r() * b.length))
  } else if (kind === 2) {
    // A hostile 32-bit length somewhere (record caplen/len, block length, header fields).
    const at = Math.floor(r() * (b.length - 4)) & ~3
    b.writeUInt32LE([0xffffffff, 0x7fffffff, 0x40000, 0, 1, 0x10000][Math.floor(r() * 6)]!, at)
  } else {
    for (let i = 0; i < 4; i++) {
      const at = Math.floor(r() * Math.min(64, b.length))
      b[at] = b[at]! ^ (1 << Math.floor(r() * 8))
    }
  }
  return b
}

describe.skipIf(!nativeBuilt())('damaged capture files', () => {
  it('are analysed, cut short with a warning, or refused cleanly (400 mutations)', async () => {
    const r = rng(20261126)
    const bases = [pcapFile(frames), pcapFile(frames, 1, { nano: true }), pcapngFile(frames)]
    const tally = { ok: 0, warning: 0, refused: 0 }
    for (let i = 0; i < 400; i++) {
      const path = join(dir, `m${i}.cap`)
      writeFileSync(path, mutate(bases[i % bases.length]!, r))
      try {
        const source = openFile(path)
        try {
          const agg = aggregate(source)
          const d = await drain(source, agg.aggregator)
          allConversations(agg)
          expect(agg.aggregator.snapshot(5).packets).toBe(d.packets)
          tally[d.warning ? 'warning' : 'ok']++
        } finally {
          source.close()
        }
      } catch (err) {
        if (!(err instanceof CaptureError)) throw new Error(`mutation ${i}: ${String(err)}`)
        expect(err.message, `mutation ${i}`).not.toContain('\n')
        tally.refused++
      }
    }
    console.log(
      `damaged files: ${tally.ok} analysed, ${tally.warning} cut short with a warning, ${tally.refused} refused`,
    )
    expect(tally.ok + tally.warning + tally.refused).toBe(400)
    expect(tally.warning).toBeGreaterThan(0)
    expect(tally.refused).toBeGreaterThan(0)
  }, 60_000)
})
