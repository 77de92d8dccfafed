/**
 * A capture recorded into the store, then `flowscope report --by conversation --format csv`
 * over the whole period, gives exactly the rows of the capture's own report
 * (`flowscope analyze FILE --by conversation --format csv`): same conversations, same packet and
 * byte counts, same first/last seen to the microsecond, same retransmissions and handshake RTT,
 * and the same service, country and network (all 22 columns).
 *
 * The capture runs through the product's pipeline (file source + aggregator) in small batches,
 * and the Recorder is fed the way `capture --db` feeds it: after every batch the per-tick deltas
 * (FlowDeltas, computed where the packets are counted; at the end, every flow's last delta). Capture times are in the past, so before
 * the report the store rolls everything up and ages it out of the fine tiers: the totals must
 * survive that exactly.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Attribution } from '../../../electron/shared/attribution'
import { openFile } from '../../../electron/shared/capture/libpcap-source'
import { aggregate, FlowDeltas } from '../../../electron/shared/capture/pipeline'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { Recorder } from '../../../electron/shared/store/recorder'
import { readPrunedBelow } from '../../../electron/shared/store/rollup'
import { DEFAULT_RETENTION } from '../../../electron/shared/store/tiers'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from '../../unit/store/helpers'
import { built, flowscope, ROOT } from './helpers'

const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'tcpdump-tests')
const MKPCAP = join(ROOT, '..', 'shared', 'tools', 'mkpcap.sh')
const tmp = tempDir('fss-equiv-')
const generated = join(tmp.dir, 'netns.pcap')

async function record(pcap: string, db: string, batch: number): Promise<number> {
  // The corpus captures are years old: keep their daily tier (conversations default to 400 days).
  const writer = new HistoryWriter(openHistoryDb(db), db, {
    flush_ms: 0,
    max_rows: 5000,
    retention: { conversations: { ...DEFAULT_RETENTION, '1d': null } },
  })
  const recorder = new Recorder(writer)
  const source = openFile(pcap)
  // The live path: per-tick deltas computed where the packets are counted (as the capture
  // worker and `capture --db` do), filed as they are.
  const deltas = new FlowDeltas()
  const agg = aggregate(source, { deltas })
  // Who is talking, as analyze says it for a file (service, country, network; no process).
  const who = new Attribution()
  let ticks = 0
  const add = agg.aggregator.add.bind(agg.aggregator)
  for (;;) {
    const r = source.pump(add, batch)
    ticks++
    const more = r.status === 'more'
    recorder.deltas(
      who.annotate(more ? deltas.take(agg.aggregator) : deltas.endAll(agg.aggregator)),
    )
    if (!more) break
  }
  source.close?.()
  writer.flush()
  writer.maintain() // the capture is in the past: roll it all up and age it out
  expect(readPrunedBelow(openHistoryDb(db, { readonly: true }))[0]).toBeGreaterThan(0)
  expect(writer.close()).toBeNull()
  return ticks
}

const sortedRows = (csv: string) => {
  const [header, ...rows] = csv.split('\n').filter((l) => l !== '')
  return { header, rows: rows.sort() }
}

describe.skipIf(!built() || !existsSync(CORPUS))('capture recorded into the store', () => {
  afterAll(tmp.cleanup)
  beforeAll(() => {
    if (process.getuid?.() !== 0) return
    spawnSync('bash', [MKPCAP, generated, '6', '20M', '128'], { timeout: 60_000 })
  }, 90_000)

  it.each(['afs.pcap', 'of13_ericsson.pcapng', 'pim-packet-assortment.pcap', 'netns.pcap'])(
    'reports the same conversations as the capture itself: %s',
    async (name) => {
      const pcap = name === 'netns.pcap' ? generated : join(CORPUS, name)
      if (!existsSync(pcap)) {
        console.warn(`${name}: skipped (mkpcap needs root and network namespaces)`)
        return
      }
      const db = join(tmp.dir, `${name}.db`)
      const ticks = await record(pcap, db, 500)
      const live = flowscope(['analyze', pcap, '--by', 'conversation', '--format', 'csv'])
      expect(live.code).toBe(0)
      const stored = flowscope(['report', '--db', db, '--by', 'conversation', '--format', 'csv'])
      expect(stored.stderr).toBe('')
      expect(stored.code).toBe(0)
      const a = sortedRows(live.stdout)
      const b = sortedRows(stored.stdout)
      expect(b.header).toBe(a.header)
      expect(b.rows.length).toBeGreaterThan(0)
      expect(b.rows).toEqual(a.rows)
      if (name === 'netns.pcap') expect(ticks).toBeGreaterThan(10)
    },
    60_000,
  )
})
