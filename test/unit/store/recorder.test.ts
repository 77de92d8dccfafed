import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { queryHistory } from '../../../electron/shared/store/queries'
import { Recorder } from '../../../electron/shared/store/recorder'
import type { ConversationTotals } from '../../../electron/shared/store/writer'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import type { ConversationHistoryRow } from '../../../common/history'
import { tempDir } from './helpers'

const S = 1_790_000_000 // a 10 s boundary
const rec = (over: Partial<ConversationTotals>): ConversationTotals => ({
  protocol: 'tcp',
  address_a: '10.0.0.1',
  port_a: 40000,
  address_b: '10.0.0.2',
  port_b: 80,
  packets_a_to_b: 0,
  bytes_a_to_b: 0,
  packets_b_to_a: 0,
  bytes_b_to_a: 0,
  first_seen_us: S * 1e6 + 1,
  last_seen_us: S * 1e6 + 1,
  retransmissions: 0,
  handshake_rtt_ms: null,
  ...over,
})

describe('Recorder', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it('files cumulative records as deltas, so totals equal the final record', () => {
    const path = `${tmp.dir}/rec.db`
    const db = openHistoryDb(path)
    const w = new HistoryWriter(db, path, { flush_ms: 0 })
    const r = new Recorder(w)
    // Tick 1 (bucket S), tick 2 (same bucket), tick 3 (next bucket), then the flow ends.
    r.conversations([rec({ packets_a_to_b: 1, bytes_a_to_b: 74, last_seen_us: S * 1e6 + 2 })])
    r.conversations([
      rec({
        packets_a_to_b: 3,
        bytes_a_to_b: 300,
        packets_b_to_a: 1,
        bytes_b_to_a: 60,
        handshake_rtt_ms: 0.5,
        last_seen_us: S * 1e6 + 3_000_000,
      }),
    ])
    r.conversations([
      rec({
        packets_a_to_b: 5,
        bytes_a_to_b: 500,
        packets_b_to_a: 4,
        bytes_b_to_a: 6000,
        retransmissions: 1,
        handshake_rtt_ms: 0.5,
        last_seen_us: (S + 12) * 1e6,
      }),
    ])
    // Unchanged record: nothing new filed.
    r.conversations([
      rec({
        packets_a_to_b: 5,
        bytes_a_to_b: 500,
        packets_b_to_a: 4,
        bytes_b_to_a: 6000,
        retransmissions: 1,
        handshake_rtt_ms: 0.5,
        last_seen_us: (S + 12) * 1e6,
      }),
    ])
    const final = rec({
      packets_a_to_b: 6,
      bytes_a_to_b: 552,
      packets_b_to_a: 4,
      bytes_b_to_a: 6000,
      retransmissions: 1,
      handshake_rtt_ms: 0.5,
      last_seen_us: (S + 25) * 1e6,
    })
    r.conversationEnded(final)
    // The same 5-tuple again later: a new flow, counted from zero.
    r.conversations([
      rec({
        packets_a_to_b: 1,
        bytes_a_to_b: 60,
        first_seen_us: (S + 40) * 1e6,
        last_seen_us: (S + 40) * 1e6,
      }),
    ])
    w.flush()

    const rows = db
      .prepare('SELECT bucket_s, packets_a_to_b, bytes_b_to_a FROM conv_series ORDER BY bucket_s')
      .all()
    expect(rows).toEqual([
      { bucket_s: S, packets_a_to_b: 3, bytes_b_to_a: 60 },
      { bucket_s: S + 10, packets_a_to_b: 2, bytes_b_to_a: 5940 },
      { bucket_s: S + 20, packets_a_to_b: 1, bytes_b_to_a: 0 },
      { bucket_s: S + 40, packets_a_to_b: 1, bytes_b_to_a: 0 },
    ])
    const res = queryHistory(db, {
      from_s: S,
      to_s: S + 30,
      by: 'conversation',
      bucket: null,
      top: null,
    })
    const row = res.rows[0] as ConversationHistoryRow
    expect(row).toMatchObject({
      protocol: 'tcp',
      address_a: '10.0.0.1',
      port_a: 40000,
      packets_a_to_b: 6,
      bytes_a_to_b: 552,
      packets_b_to_a: 4,
      bytes_b_to_a: 6000,
      retransmissions: 1,
      handshake_rtt_ms: 0.5,
      first_seen: '2026-09-21T14:13:20.000001Z',
      last_seen: '2026-09-21T14:13:45.000000Z',
    })
    w.close()
  })

  it('forgets the least recently seen conversations beyond its cap', () => {
    const path = `${tmp.dir}/cap.db`
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0 })
    const r = new Recorder(w, { max_conversations: 2 })
    for (let p = 1; p <= 5; p++)
      r.conversations([rec({ port_a: p, packets_a_to_b: 1, bytes_a_to_b: 1 })])
    expect((r as unknown as { filed: Map<string, unknown> }).filed.size).toBe(2)
    w.close()
  })

  it('files bandwidth ticks (cumulative totals) as per-interface deltas', () => {
    const path = `${tmp.dir}/bw.db`
    const db = openHistoryDb(path)
    const w = new HistoryWriter(db, path, { flush_ms: 0 })
    const r = new Recorder(w)
    const dir = (bytes: number, packets: number) => ({
      current_bps: 0,
      average_bps: 0,
      min_bps: 0,
      max_bps: 0,
      total_bytes: bytes,
      total_packets: packets,
    })
    const tick = (t: number, rx: number, tx: number, dropped: number) => ({
      time: new Date((S + t) * 1000).toISOString(),
      interfaces: [
        {
          name: 'eth0',
          rx: dir(rx, rx / 100),
          tx: dir(tx, tx / 100),
          rx_dropped: dropped,
          elapsed_s: t,
        },
      ],
    })
    r.bandwidthTick(tick(1, 1000, 500, 0))
    r.bandwidthTick(tick(2, 3000, 700, 1))
    r.bandwidthTick(tick(12, 3000, 700, 1)) // idle: nothing filed
    r.bandwidthTick(tick(13, 200, 100, 0)) // monitor restarted: counts from zero again
    w.flush()
    const res = queryHistory(db, {
      from_s: S,
      to_s: S + 60,
      by: 'interface',
      bucket: '10s',
      top: null,
    })
    expect(res.rows).toEqual([
      {
        bucket_start: '2026-09-21T14:13:20.000000Z',
        interface: 'eth0',
        rx_bytes: 3000,
        tx_bytes: 700,
        rx_packets: 30,
        tx_packets: 7,
        drops: 1,
      },
      {
        bucket_start: '2026-09-21T14:13:30.000000Z',
        interface: 'eth0',
        rx_bytes: 200,
        tx_bytes: 100,
        rx_packets: 2,
        tx_packets: 1,
        drops: 0,
      },
    ])
    w.close()
  })
})
