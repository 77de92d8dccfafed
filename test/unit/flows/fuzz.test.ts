/**
 * Robustness: every frame of tcpdump's test corpus (many deliberately malformed), then random
 * and mutated frames, through every link-type decoder. Nothing may throw, and the totals must
 * account for exactly the frames fed.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CaptureSnapshot, ConversationRecord } from '../../../common/capture'
import { DecodeScratch, decodeFrame, supportedLinkTypes } from '../../../electron/shared/decode'
import { Aggregator, UnsupportedLinkTypeError } from '../../../electron/shared/flows/aggregator'
import { readPcapFile, type PcapRecord } from './pcap-reader'

const corpus = resolve(__dirname, '../../../../shared/corpus/tcpdump-tests')
const haveCorpus = existsSync(corpus)
if (!haveCorpus) console.warn(`flows/fuzz.test.ts: corpus tests skipped: ${corpus} not found`)

function prng(seed: number): (n: number) => number {
  let s = seed >>> 0
  return (n: number) => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) % n
  }
}

function corpusRecords(): { file: string; linkType: number; records: PcapRecord[] }[] {
  const out = []
  for (const name of readdirSync(corpus).sort()) {
    if (!/\.(pcap|pcapng)$/.test(name)) continue
    try {
      const f = readPcapFile(join(corpus, name))
      out.push({ file: name, linkType: f.linkType, records: f.records })
    } catch {
      // not a readable capture: the sources side reports those
    }
  }
  return out
}

describe.skipIf(!haveCorpus)('tcpdump corpus', () => {
  const files = haveCorpus ? corpusRecords() : []

  it('aggregates every frame of every supported file without an internal error', () => {
    let framesFed = 0
    let filesFed = 0
    let unsupported = 0
    const reasons = new Map<string, number>()
    for (const { file, linkType, records } of files) {
      let agg: Aggregator
      try {
        agg = new Aggregator({ linkType, maxFlows: 1000 })
      } catch (e) {
        expect(e, file).toBeInstanceOf(UnsupportedLinkTypeError)
        unsupported++
        continue
      }
      // pcapng files may mix interfaces: feed only the first interface's link type.
      const mine = records.filter((r) => r.linkType === linkType)
      for (const r of mine) agg.add(r.tsUs, r.data, r.wireLen)
      if (mine.length > 0) agg.advance(mine.at(-1)!.tsUs + 1e6)
      const snap = agg.snapshot(10)
      expect(snap.packets, file).toBe(mine.length)
      expect(
        Object.values(snap.by_protocol).reduce((n, c) => n + c.packets, 0),
        file,
      ).toBe(mine.length)
      expect(snap.malformed.internal_error, file).toBeUndefined()
      // Whatever the bytes, what crosses the worker boundary passes its schema.
      expect(() => CaptureSnapshot.parse(snap), file).not.toThrow()
      expect(() => z.array(ConversationRecord).parse(agg.conversations()), file).not.toThrow()
      for (const [k, v] of Object.entries(snap.malformed)) reasons.set(k, (reasons.get(k) ?? 0) + v)
      framesFed += mine.length
      filesFed++
    }
    console.log(
      `corpus: ${filesFed} files / ${framesFed} frames aggregated, ${unsupported} unsupported link types; malformed: ${JSON.stringify(Object.fromEntries(reasons))}`,
    )
    expect(filesFed).toBeGreaterThan(300)
  })

  it('survives mutated corpus frames under every link type', () => {
    const rnd = prng(0xf5d)
    const s = new DecodeScratch()
    const sample = files.flatMap((f) => f.records.slice(0, 8)).filter((r) => r.data.length > 0)
    const types = supportedLinkTypes()
    let fed = 0
    for (const r of sample) {
      for (let m = 0; m < 4; m++) {
        const d = Uint8Array.from(r.data)
        const edits = 1 + rnd(4)
        for (let e = 0; e < edits; e++) {
          const op = rnd(4)
          const i = rnd(d.length)
          if (op === 0) d[i] = d[i]! ^ (1 << rnd(8))
          else if (op === 1) d[i] = rnd(256)
          else if (op === 2) d[i] = [0, 0xff, 0x45, 0x60, 0x81, 0x86][rnd(6)]!
          else d.fill(0, i, i + rnd(8))
        }
        const frame = d.subarray(0, rnd(3) === 0 ? rnd(d.length + 1) : d.length)
        for (const lt of types) {
          expect([1, 2, 3]).toContain(decodeFrame(lt, frame, s))
          fed++
        }
      }
    }
    expect(fed).toBeGreaterThan(10_000)
  })
})

describe('random frames', () => {
  it('never throw and are all counted, for every link type', () => {
    const rnd = prng(20261126)
    for (const linkType of supportedLinkTypes()) {
      const agg = new Aggregator({ linkType, maxFlows: 256, idleTimeoutS: 1 })
      const n = 3000
      for (let i = 0; i < n; i++) {
        const d = new Uint8Array(rnd(120))
        for (let j = 0; j < d.length; j++) d[j] = rnd(256)
        // Bias towards plausible headers so the deeper decoders are reached.
        if (d.length > 24 && rnd(2)) d[rnd(24)] = rnd(2) ? 0x45 : 0x60
        agg.add(1e15 + i * 10_000, d, d.length + rnd(100))
      }
      const snap = agg.snapshot()
      expect(snap.packets, `link type ${linkType}`).toBe(n)
      expect(snap.malformed.internal_error).toBeUndefined()
      const convPackets = agg
        .conversations()
        .reduce((k, c) => k + c.packets_a_to_b + c.packets_b_to_a, 0)
      expect(convPackets).toBeLessThanOrEqual(n)
    }
  })
})
