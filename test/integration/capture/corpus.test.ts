/**
 * Robustness on ../shared/corpus/tcpdump-tests (830 real, often malformed captures): every file
 * is analysed to the end or refused with a clear CaptureError, never an uncaught exception.
 * All files run in-process through the product's source + pipeline; a sample (including the
 * refused ones) runs through the built CLI to check exit codes and one-line messages.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CaptureError } from '../../../electron/shared/capture/errors'
import { openFile } from '../../../electron/shared/capture/libpcap-source'
import { aggregate, allConversations, drain } from '../../../electron/shared/capture/pipeline'
import { conversationRows } from '../../../electron/shared/report/rows'
import { CORPUS, flowscope, unavailable } from './helpers'

const skip = unavailable({ files: [CORPUS] })
if (skip) console.warn(`capture/corpus.test.ts skipped: ${skip}`)

const files = skip ? [] : readdirSync(CORPUS).sort()

interface Outcome {
  file: string
  result: 'ok' | 'warning' | 'refused'
  detail: string
}

async function analyse(file: string): Promise<Outcome> {
  try {
    const source = openFile(join(CORPUS, file))
    try {
      const agg = aggregate(source)
      const r = await drain(source, agg.aggregator)
      // The report rows must build for whatever the decoders made of the file.
      conversationRows(allConversations(agg))
      agg.aggregator.snapshot(10)
      return {
        file,
        result: r.warning ? 'warning' : 'ok',
        detail: r.warning ?? `${r.packets} packets`,
      }
    } finally {
      source.close()
    }
  } catch (err) {
    if (err instanceof CaptureError)
      return { file, result: 'refused', detail: `${err.code}: ${err.message}` }
    throw new Error(`${file}: uncaught ${err instanceof Error ? err.stack : String(err)}`)
  }
}

describe.skipIf(skip !== null)('tcpdump test corpus', () => {
  const outcomes: Outcome[] = []

  it('analyses every file to the end or refuses it with a CaptureError', async () => {
    for (const f of files) outcomes.push(await analyse(f))
    const by = (r: Outcome['result']) => outcomes.filter((o) => o.result === r)
    const codes = new Map<string, number>()
    for (const o of by('refused'))
      codes.set(o.detail.split(':')[0]!, (codes.get(o.detail.split(':')[0]!) ?? 0) + 1)
    console.log(
      `${outcomes.length} files: ${by('ok').length} ok, ${by('warning').length} ok with a warning, ${by('refused').length} refused (${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')})`,
    )
    expect(outcomes).toHaveLength(files.length)
    expect(files.length).toBeGreaterThan(800)
    expect(by('ok').length).toBeGreaterThan(files.length / 2)
    for (const o of by('refused'))
      expect(['UNSUPPORTED_LINK_TYPE', 'NOT_A_CAPTURE', 'UNREADABLE_FILE']).toContain(
        o.detail.split(':')[0],
      )
  }, 300_000)

  it('the CLI exits 0 or 2 with one line on a sample, refused files included', () => {
    const refused = outcomes.filter((o) => o.result === 'refused').map((o) => o.file)
    const warned = outcomes.filter((o) => o.result === 'warning').map((o) => o.file)
    const ok = outcomes.filter((o) => o.result === 'ok').map((o) => o.file)
    const pick = (list: string[], n: number) =>
      list.filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0).slice(0, n)
    const sample = [...pick(refused, 15), ...pick(warned, 5), ...pick(ok, 20)]
    expect(sample.length).toBeGreaterThanOrEqual(30)
    for (const f of sample) {
      const expected = outcomes.find((o) => o.file === f)!
      const r = flowscope(['analyze', join(CORPUS, f), '--format', 'csv', '--out', '/dev/null'])
      expect(r.stderr, f).not.toMatch(/\n\s+at |internal error/)
      if (expected.result === 'refused') {
        expect(r.code, f).toBe(2)
        expect(r.stderr.trimEnd().split('\n'), f).toHaveLength(1)
      } else {
        expect(r.code, `${f}: ${r.stderr}`).toBe(0)
        for (const line of r.stderr.split('\n').filter(Boolean))
          expect(line, f).toMatch(/^flowscope: warning: /)
      }
    }
  }, 300_000)
})
