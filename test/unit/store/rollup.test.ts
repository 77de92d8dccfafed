/**
 * Property-style rollup test: random deltas (including late ones, for buckets already rolled
 * up) are written at 10 s resolution while the clock advances and rollup + retention run at
 * random moments. At every checkpoint each tier, over the range it still holds completely,
 * sums to exactly the ground truth; queries over any range see every count once; and a
 * repeated maintenance pass changes nothing.
 */
import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb, type Db } from '../../../electron/shared/store/open'
import { queryHistory } from '../../../electron/shared/store/queries'
import { readPrunedBelow, readWatermarks } from '../../../electron/shared/store/rollup'
import { bucketStart, STEP_S, type Retention } from '../../../electron/shared/store/tiers'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { hostRows, hostsOf, int, rng, tempDir } from './helpers'

const RETENTION: Retention = { '10s': 2 * 3600, '1m': 12 * 3600, '1h': 2 * 86400, '1d': null }

interface Truth {
  bucket_s: number
  kind: 'conv' | 'iface' | 'probe'
  key: string
  v: Record<string, number | null>
}

const CONV_SUMS = [
  'packets_a_to_b',
  'bytes_a_to_b',
  'packets_b_to_a',
  'bytes_b_to_a',
  'retransmissions',
]
const IFACE_SUMS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'drops']
const PROBE_SUMS = [
  'sent',
  'received',
  'rtt_count',
  'rtt_sum_ms',
  'rtt_sumsq_ms2',
  'jitter_sum_ms',
  'jitter_count',
]

function expected(truth: Truth[], kind: Truth['kind'], lo: number, hi: number) {
  const out = new Map<string, Record<string, number | null>>()
  for (const t of truth) {
    if (t.kind !== kind || t.bucket_s < lo || t.bucket_s >= hi) continue
    const have = out.get(t.key)
    if (!have) {
      out.set(t.key, { ...t.v })
      continue
    }
    for (const [c, x] of Object.entries(t.v)) {
      const y = have[c] ?? null
      if (c === 'first_us' || c === 'rtt_min_ms')
        have[c] = x === null ? y : y === null ? x : Math.min(x, y)
      else if (c === 'last_us' || c === 'rtt_max_ms')
        have[c] = x === null ? y : y === null ? x : Math.max(x, y)
      else have[c] = (y as number) + (x as number)
    }
  }
  return out
}

function actual(db: Db, kind: Truth['kind'], step: number, lo: number, hi: number) {
  const sql =
    kind === 'conv'
      ? `SELECT c.protocol || '|' || c.address_a || '|' || c.port_a || '|' || c.address_b || '|' || c.port_b AS key,
           ${CONV_SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')},
           min(bucket_s * 1000000 + first_off_us) AS first_us, max(bucket_s * 1000000 + last_off_us) AS last_us
         FROM conv_series s JOIN conversations c ON c.id = s.conv_id
         WHERE step_s = ? AND bucket_s >= ? AND bucket_s < ? GROUP BY key`
      : kind === 'iface'
        ? `SELECT i.name AS key, ${IFACE_SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
         FROM iface_series s JOIN interfaces i ON i.id = s.iface_id
         WHERE step_s = ? AND bucket_s >= ? AND bucket_s < ? GROUP BY key`
        : `SELECT p.kind || '|' || p.target AS key, ${PROBE_SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')},
           min(rtt_min_ms) AS rtt_min_ms, max(rtt_max_ms) AS rtt_max_ms
         FROM probe_series s JOIN probes p ON p.id = s.probe_id
         WHERE step_s = ? AND bucket_s >= ? AND bucket_s < ? GROUP BY key`
  const rows = db.prepare(sql).all(step, lo, hi) as Record<string, number | string | null>[]
  return new Map(rows.map(({ key, ...v }) => [key as string, v as Record<string, number | null>]))
}

function snapshot(db: Db): string {
  const h = createHash('sha256')
  for (const t of ['conv_series', 'iface_series', 'probe_series', 'rollup_state', 'tier_state']) {
    const order = t.endsWith('_series') ? '1, 2, 3' : '1'
    h.update(JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY ${order}`).raw().all()))
  }
  return h.digest('hex')
}

const round = (m: Map<string, Record<string, number | null>>) =>
  new Map(
    [...m].map(([k, v]) => [
      k,
      Object.fromEntries(
        Object.entries(v).map(([c, x]) => [
          c,
          typeof x === 'number' ? Math.round(x * 1e6) / 1e6 : x,
        ]),
      ),
    ]),
  )

describe('rollup and retention', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it.each([1, 2, 3])('keeps exact totals at every tier (seed %i)', (seed) => {
    const r = rng(seed)
    const path = `${tmp.dir}/rollup-${seed}.db`
    const db = openHistoryDb(path)
    let clock_s = 1_790_000_000 + int(r, 0, 86_399)
    const writer = new HistoryWriter(db, path, {
      flush_ms: 0,
      maintain_ms: Number.POSITIVE_INFINITY,
      retention: RETENTION,
      grace_s: 30,
      now_ms: () => clock_s * 1000,
    })
    const truth: Truth[] = []
    const convs = Array.from({ length: 12 }, (_, i) => ({
      protocol: i % 3 === 0 ? 'icmp' : i % 3 === 1 ? 'tcp' : 'udp',
      address_a: `10.0.0.${i % 4}`,
      port_a: i % 3 === 0 ? null : 40000 + i,
      // One host talks to itself (both ends the same address: one conversation, both sides).
      address_b: i === 11 ? '10.0.0.3' : `10.0.1.${i % 5}`,
      port_b: i % 3 === 0 ? null : 443,
    }))
    const end_s = clock_s + 3 * 86400
    let step = 0
    let checks = 0

    const check = () => {
      checks++
      const pruned = readPrunedBelow(db)
      const done = readWatermarks(db)
      for (let i = 0; i < STEP_S.length; i++) {
        const lo = pruned[i] as number
        const hi = i === 0 ? Number.MAX_SAFE_INTEGER : (done[i - 1] as number)
        if (hi <= lo) continue
        for (const kind of ['conv', 'iface', 'probe'] as const) {
          expect(
            round(actual(db, kind, STEP_S[i] as number, lo, hi)),
            `${kind} tier ${STEP_S[i]} [${lo},${hi})`,
          ).toEqual(round(expected(truth, kind, lo, hi)))
        }
      }
      // The derived series (per protocol, per host) are exactly what the conversation rows
      // give, in every tier, wherever the conversation rows are all kept (a late row below a
      // tier's retention mark is left out of them, and deleted by the next pass).
      const kept = `CASE s.step_s ${STEP_S.map((st, i) => `WHEN ${st} THEN ${readPrunedBelow(db, 'conversations')[i]}`).join(' ')} END`
      const derive = db.prepare(`SELECT s.step_s, s.bucket_s, c.protocol,
          sum(s.packets_a_to_b + s.packets_b_to_a) AS packets,
          sum(s.bytes_a_to_b + s.bytes_b_to_a) AS bytes, count(*) AS conversations
        FROM conv_series s JOIN conversations c ON c.id = s.conv_id
        WHERE s.bucket_s >= ${kept} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
      const stored = db.prepare(
        `SELECT * FROM proto_series s WHERE s.bucket_s >= ${kept} ORDER BY 1, 2, 3`,
      )
      // Every row of a tier sits at the start of one of its buckets (rollups merge).
      expect(
        db.prepare('SELECT count(*) FROM conv_series WHERE bucket_s % step_s != 0').pluck().get(),
      ).toBe(0)
      expect(stored.all(), 'proto_series').toEqual(derive.all())
      // Hosts: each conversation counts for both ends, once for a host at both ends.
      const deriveHosts = db.prepare(`SELECT step_s, bucket_s, address, sum(ps) AS ps,
          sum(bs) AS bs, sum(pr) AS pr, sum(br) AS br, count(DISTINCT conv_id) AS n,
          min(f) AS f, max(l) AS l
        FROM (SELECT s.*, c.address_a AS address, s.packets_a_to_b AS ps, s.bytes_a_to_b AS bs,
            s.packets_b_to_a AS pr, s.bytes_b_to_a AS br, first_off_us AS f, last_off_us AS l
            FROM conv_series s JOIN conversations c ON c.id = s.conv_id
          UNION ALL SELECT s.*, c.address_b, s.packets_b_to_a, s.bytes_b_to_a, s.packets_a_to_b,
            s.bytes_a_to_b, first_off_us, last_off_us
            FROM conv_series s JOIN conversations c ON c.id = s.conv_id) s
        WHERE s.bucket_s >= ${kept} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
      const storedHosts = db.prepare(`SELECT s.step_s, s.bucket_s, h.address, packets_sent,
          bytes_sent, packets_received, bytes_received, conversations, first_off_us, last_off_us
        FROM host_series s JOIN hosts h ON h.id = s.host_id
        WHERE s.bucket_s >= ${kept} ORDER BY 1, 2, 3`)
      expect(storedHosts.raw().all(), 'host_series').toEqual(deriveHosts.raw().all())
      // Every host row names a host, and no host is left without a row for long.
      expect(
        db
          .prepare('SELECT count(*) FROM host_series WHERE host_id NOT IN (SELECT id FROM hosts)')
          .pluck()
          .get(),
      ).toBe(0)
      // A bucketed protocol query (series for the bulk, conversation rows at the edges) agrees
      // with the same buckets summed from the conversation query.
      for (const bucket of ['1m', '1h'] as const) {
        const from_s = clock_s - int(r, 0, 86400)
        const q = { from_s, to_s: clock_s + 60, bucket, top: null }
        const byProto = queryHistory(db, { ...q, by: 'protocol' }).rows
        const want = new Map<string, { packets: number; bytes: number; conversations: number }>()
        for (const row of queryHistory(db, { ...q, by: 'conversation' }).rows) {
          if (!('bytes_a_to_b' in row)) continue
          const key = `${row.bucket_start}|${row.protocol}`
          const w = want.get(key) ?? { packets: 0, bytes: 0, conversations: 0 }
          w.packets += row.packets_a_to_b + row.packets_b_to_a
          w.bytes += row.bytes_a_to_b + row.bytes_b_to_a
          w.conversations++
          want.set(key, w)
        }
        const got = new Map(
          byProto.map((row) => {
            const p = row as {
              bucket_start: string
              protocol: string
              packets: number
              bytes: number
              conversations: number
            }
            return [
              `${p.bucket_start}|${p.protocol}`,
              { packets: p.packets, bytes: p.bytes, conversations: p.conversations },
            ]
          }),
        )
        expect(got, `protocol by ${bucket} from ${from_s}`).toEqual(want)
        // Hosts (series for the sums, conversation rows for the counts at the edges) agree
        // with the conversation query summed per host.
        expect(hostRows(queryHistory(db, { ...q, by: 'host' }).rows), `hosts by ${bucket}`).toEqual(
          hostsOf(queryHistory(db, { ...q, by: 'conversation' }).rows),
        )
      }
      // Unbucketed, over a random range and with a top N.
      const range = { from_s: clock_s - int(r, 0, 3 * 86400), to_s: clock_s + 60, bucket: null }
      const allHosts = hostsOf(queryHistory(db, { ...range, by: 'conversation', top: null }).rows)
      expect(hostRows(queryHistory(db, { ...range, by: 'host', top: null }).rows)).toEqual(allHosts)
      const top3 = [...allHosts].sort(([ka, a], [kb, b]) => b.bytes - a.bytes || (ka < kb ? -1 : 1))
      expect(hostRows(queryHistory(db, { ...range, by: 'host', top: 3 }).rows)).toEqual(
        new Map(top3.slice(0, 3)),
      )
      // A query over all history, and one from a random point, see every count exactly once.
      const to_s = clock_s + 3600
      for (const from_s of [0, clock_s - int(r, 0, 4 * 86400)]) {
        const res = queryHistory(db, { from_s, to_s, by: 'conversation', bucket: null, top: null })
        const from = Date.parse(res.meta.from) / 1000
        const want = expected(truth, 'conv', from, to_s)
        expect(res.rows.length).toBe(want.size)
        const bytes = res.rows.reduce(
          (s, row) => s + ('bytes_a_to_b' in row ? row.bytes_a_to_b + row.bytes_b_to_a : 0),
          0,
        )
        const wantBytes = [...want.values()].reduce(
          (s, v) => s + (v.bytes_a_to_b as number) + (v.bytes_b_to_a as number),
          0,
        )
        expect(bytes).toBe(wantBytes)
      }
    }

    while (clock_s < end_s) {
      clock_s += int(r, 5, 900)
      const n = int(r, 1, 8)
      for (let k = 0; k < n; k++) {
        // Mostly current data; one in ten is late by up to three hours.
        const late = r() < 0.1 ? int(r, 0, 3 * 3600) : int(r, 0, 20)
        const time_us = (clock_s - late) * 1e6 + int(r, 0, 999_999)
        const bucket_s = bucketStart(Math.floor(time_us / 1e6), 10)
        const what = r()
        if (what < 0.5) {
          const c = convs[int(r, 0, convs.length - 1)]!
          const first_seen_us = time_us - int(r, 0, 5_000_000)
          const v = {
            packets_a_to_b: int(r, 0, 50),
            bytes_a_to_b: int(r, 0, 70_000),
            packets_b_to_a: int(r, 0, 50),
            bytes_b_to_a: int(r, 0, 70_000),
            retransmissions: int(r, 0, 3),
          }
          writer.addConversation({
            time_us,
            ...c,
            ...v,
            first_seen_us,
            last_seen_us: time_us,
            handshake_rtt_ms: null,
          })
          truth.push({
            bucket_s,
            kind: 'conv',
            key: `${c.protocol}|${c.address_a}|${c.port_a ?? -1}|${c.address_b}|${c.port_b ?? -1}`,
            v: { ...v, first_us: first_seen_us, last_us: time_us },
          })
        } else if (what < 0.8) {
          const name = `eth${int(r, 0, 2)}`
          const v = {
            rx_bytes: int(r, 0, 1e6),
            tx_bytes: int(r, 0, 1e6),
            rx_packets: int(r, 0, 900),
            tx_packets: int(r, 0, 900),
            drops: int(r, 0, 2),
          }
          writer.addInterface({ time_us, name, ...v })
          truth.push({ bucket_s, kind: 'iface', key: name, v })
        } else {
          const target = `192.0.2.${int(r, 1, 2)}`
          const sent = int(r, 1, 10)
          const received = int(r, 0, sent)
          const rtts = Array.from({ length: received }, () => int(r, 1, 400) / 8)
          const v = {
            sent,
            received,
            rtt_count: received,
            rtt_sum_ms: rtts.reduce((a, b) => a + b, 0),
            rtt_sumsq_ms2: rtts.reduce((a, b) => a + b * b, 0),
            jitter_sum_ms: rtts
              .slice(1)
              .reduce((a, x, j) => a + Math.abs(x - (rtts[j] as number)), 0),
            jitter_count: Math.max(0, received - 1),
            rtt_min_ms: received ? Math.min(...rtts) : null,
            rtt_max_ms: received ? Math.max(...rtts) : null,
          }
          writer.addProbe({ time_us, kind: 'icmp', target, ...v })
          truth.push({ bucket_s, kind: 'probe', key: `icmp|${target}`, v })
        }
      }
      expect(writer.flush()).toBe(true)
      if (r() < 0.3) writer.maintain()
      if (++step % 150 === 0) check()
    }
    // Let everything age into the daily tier.
    clock_s += 4 * 86400
    writer.maintain()
    check()
    const before = snapshot(db)
    writer.maintain()
    expect(snapshot(db), 'a repeated pass changes nothing').toBe(before)
    const done = readWatermarks(db)
    expect(done[2]).toBeGreaterThan(end_s - 86400)
    // All counts now live in the 1 d tier alone, equal to the ground truth.
    for (const kind of ['conv', 'iface', 'probe'] as const) {
      expect(round(actual(db, kind, 86400, 0, Number.MAX_SAFE_INTEGER))).toEqual(
        round(expected(truth, kind, 0, Number.MAX_SAFE_INTEGER)),
      )
    }
    expect(db.prepare('SELECT count(*) FROM conv_series WHERE step_s < 3600').pluck().get()).toBe(0)
    expect(checks).toBeGreaterThan(3)
    expect(writer.close()).toBeNull()
  })
})
