import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { HistoryRow } from '../../../common/history'
import { neutraliseCell, writeCsv, writeJson } from '../../../electron/shared/store/export'

function sink(delay_ms = 0) {
  const chunks: string[] = []
  const out = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, done) {
      chunks.push(String(chunk))
      if (delay_ms) setTimeout(done, delay_ms)
      else done()
    },
  })
  return { out, text: () => chunks.join('') }
}

const row = (i: number, address = `10.0.0.${i % 250}`): HistoryRow => ({
  bucket_start: null,
  address,
  packets_sent: i,
  bytes_sent: i * 100,
  packets_received: 0,
  bytes_received: 0,
  conversations: 1,
  first_seen: '2026-11-26T07:00:00.000001Z',
  last_seen: '2026-11-26T07:00:01.000000Z',
})
const COLS = [
  'address',
  'packets_sent',
  'bytes_sent',
  'packets_received',
  'bytes_received',
  'conversations',
  'first_seen',
  'last_seen',
]

describe('exports', () => {
  it('neutralises formula-looking text, never numbers', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(neutraliseCell(s)).toBe(`'${s}`)
    expect(neutraliseCell('10.0.0.1')).toBe('10.0.0.1')
  })

  it('writes RFC 4180 CSV with a header, raw numbers and quoted/neutralised text', async () => {
    const { out, text } = sink()
    await writeCsv([row(1, '=HYPERLINK("x")'), row(2, 'a,b')], COLS, out)
    expect(text().split('\n')).toEqual([
      COLS.join(','),
      `"'=HYPERLINK(""x"")",1,100,0,0,1,2026-11-26T07:00:00.000001Z,2026-11-26T07:00:01.000000Z`,
      '"a,b",2,200,0,0,1,2026-11-26T07:00:00.000001Z,2026-11-26T07:00:01.000000Z',
      '',
    ])
  })

  it('streams: rows are pulled only as fast as the output drains', async () => {
    let pulled = 0
    let maxAhead = 0
    const { out, text } = sink(1)
    let lines = () => text().split('\n').length
    function* rows() {
      for (let i = 0; i < 3000; i++) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - lines())
        yield row(i)
      }
    }
    await writeCsv(rows(), COLS, out)
    expect(lines()).toBe(3002)
    // Far fewer rows in flight than the whole export (stream buffers only).
    expect(maxAhead).toBeLessThan(1500)
    lines = () => 0
  })

  it('writes JSON as one array', async () => {
    const { out, text } = sink()
    await writeJson([row(1), row(2)], out)
    expect(JSON.parse(text())).toHaveLength(2)
    const empty = sink()
    await writeJson([], empty.out)
    expect(JSON.parse(empty.text())).toEqual([])
  })
})
