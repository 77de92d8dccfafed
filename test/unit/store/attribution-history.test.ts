/**
 * History keeps who is talking: conversations recorded from attributed deltas report by
 * process, service, country and asn exactly what the capture report's rows (report/rows.ts)
 * say for the same conversations, and by conversation with the report's 22 columns. An answer
 * that a later delta does not know (null) never erases one that an earlier delta knew.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ConversationRecord } from '../../../common/capture'
import { HistoryRow } from '../../../common/history'
import type { FlowDelta } from '../../../electron/shared/capture/pipeline'
import {
  asnRows,
  CONVERSATION_REPORT_COLUMNS,
  conversationRow,
  countryRows,
  processRows,
  serviceRows,
} from '../../../electron/shared/report/rows'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { planQuery, queryHistory } from '../../../electron/shared/store/queries'
import { Recorder } from '../../../electron/shared/store/recorder'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from './helpers'

const S = 1_790_000_000 // a 10 s boundary

/** Deterministic pseudo-random numbers (no flakiness, different mixes per seed). */
function rng(seed: number) {
  let x = seed >>> 0 || 1
  return (n: number) => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x % n
  }
}

const PROCS = [
  { process: 'curl', pid: 4242 },
  { process: 'firefox', pid: 100 },
  { process: 'firefox', pid: 1001 },
  { process: 'sshd', pid: 77 },
]
const PLACES = [
  { range: 'private', country: null, asn: null, org: null },
  { range: 'loopback', country: null, asn: null, org: null },
  { range: null, country: 'DE', asn: 3320, org: 'Deutsche Telekom AG' },
  { range: null, country: 'US', asn: 15169, org: 'Google LLC' },
  { range: null, country: 'US', asn: 13335, org: 'Cloudflare, Inc.' },
  { range: null, country: null, asn: null, org: null },
]
const SERVERS: [string, number | null][] = [
  ['tcp', 443],
  ['tcp', 22],
  ['udp', 53],
  ['tcp', 51234],
  ['udp', 60001],
  ['icmp', null],
]

/** Conversations with every mix of answers, as a capture's records would carry them. */
function records(seed: number, n: number): ConversationRecord[] {
  const r = rng(seed)
  const out: ConversationRecord[] = []
  for (let i = 0; i < n; i++) {
    const [protocol, port] = SERVERS[r(SERVERS.length)]!
    const proc = r(3) === 0 ? null : PROCS[r(PROCS.length)]!
    const pa = PLACES[r(PLACES.length)]!
    const pb = PLACES[r(PLACES.length)]!
    const first = (S + r(40)) * 1e6 + r(1e6)
    out.push({
      protocol,
      address_a: `10.${seed}.${i >> 8}.${i & 255}`,
      port_a: port === null ? null : 40000 + i,
      address_b: `192.0.2.${r(200)}`,
      port_b: port,
      packets_a_to_b: 2 + r(50),
      bytes_a_to_b: 100 + r(100_000),
      packets_b_to_a: 2 + r(50),
      bytes_b_to_a: 100 + r(100_000),
      first_seen_us: first,
      last_seen_us: first + 2e6 + r(30e6),
      retransmissions: 0,
      handshake_rtt_ms: null,
      rate_a_to_b_bps: { s2: 0, s10: 0, s40: 0 },
      rate_b_to_a_bps: { s2: 0, s10: 0, s40: 0 },
      peak_a_to_b_bps: 0,
      peak_b_to_a_bps: 0,
      process: proc?.process ?? null,
      pid: proc?.pid ?? null,
      process_side: proc ? (r(2) ? 'a' : 'b') : null,
      service: null, // the store names services itself, from the ports
      name_a: r(2) ? `host-${i}.example` : null,
      name_b: null,
      range_a: pa.range,
      range_b: pb.range,
      country_a: pa.country,
      country_b: pb.country,
      asn_a: pa.asn,
      asn_b: pb.asn,
      as_org_a: pa.org,
      as_org_b: pb.org,
    })
  }
  return out
}

const unknown = {
  process: null,
  pid: null,
  process_side: null,
  name_a: null,
  name_b: null,
  range_a: null,
  range_b: null,
  country_a: null,
  country_b: null,
  asn_a: null,
  asn_b: null,
  as_org_a: null,
  as_org_b: null,
}

/**
 * Each conversation as two deltas in different buckets. The answers ride on the first delta,
 * or the second, or both; where only the first has them, the second knows at most the process.
 */
function deltas(recs: ConversationRecord[], seed: number): FlowDelta[] {
  const r = rng(seed + 99)
  const out: FlowDelta[] = []
  for (const c of recs) {
    const mid = c.first_seen_us + Math.floor((c.last_seen_us - c.first_seen_us) / 2)
    const who = {
      process: c.process,
      pid: c.pid,
      process_side: c.process_side,
      name_a: c.name_a,
      name_b: c.name_b,
      range_a: c.range_a,
      range_b: c.range_b,
      country_a: c.country_a,
      country_b: c.country_b,
      asn_a: c.asn_a,
      asn_b: c.asn_b,
      as_org_a: c.as_org_a,
      as_org_b: c.as_org_b,
    }
    const where = r(3) // 0: first only, 1: second only, 2: both
    const base = {
      protocol: c.protocol,
      address_a: c.address_a,
      port_a: c.port_a,
      address_b: c.address_b,
      port_b: c.port_b,
      retransmissions: 0,
      handshake_rtt_ms: null,
    }
    const pa1 = Math.floor(c.packets_a_to_b / 2)
    const ba1 = Math.floor(c.bytes_a_to_b / 2)
    out.push({
      ...base,
      packets_a_to_b: pa1,
      bytes_a_to_b: ba1,
      packets_b_to_a: 1,
      bytes_b_to_a: 60,
      first_seen_us: c.first_seen_us,
      last_seen_us: mid,
      ended: false,
      ...(where === 1 ? unknown : who),
    })
    out.push({
      ...base,
      packets_a_to_b: c.packets_a_to_b - pa1,
      bytes_a_to_b: c.bytes_a_to_b - ba1,
      packets_b_to_a: c.packets_b_to_a - 1,
      bytes_b_to_a: c.bytes_b_to_a - 60,
      first_seen_us: mid + 1,
      last_seen_us: c.last_seen_us,
      ended: true,
      // Only the process known again: the countries and networks filed before must stay.
      ...(where === 0
        ? { ...unknown, process: c.process, pid: c.pid, process_side: c.process_side }
        : who),
    })
  }
  // Ticks file deltas in time order.
  return out.sort((x, y) => x.last_seen_us - y.last_seen_us)
}

const strip = (rows: readonly object[]) =>
  rows.map((row) => {
    const { bucket_start, ...rest } = row as Record<string, unknown>
    expect(bucket_start).toBeNull()
    return rest
  })

describe('history by who is talking', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  for (const seed of [1, 2, 3]) {
    it(`groups as the capture report does (seed ${seed})`, () => {
      const path = `${tmp.dir}/who-${seed}.db`
      const db = openHistoryDb(path)
      const w = new HistoryWriter(db, path, { flush_ms: 0, max_rows: 97 })
      const recs = records(seed, 400)
      const rec = new Recorder(w)
      const ds = deltas(recs, seed)
      // In ticks of 50 deltas, each tick its own batch (answers merge across batches too).
      for (let i = 0; i < ds.length; i += 50) {
        rec.deltas(ds.slice(i, i + 50))
        w.flush()
      }
      w.close()

      const ro = openHistoryDb(path, { readonly: true })
      const q = (by: 'process' | 'service' | 'country' | 'asn' | 'conversation') =>
        queryHistory(ro, { from_s: S - 10, to_s: S + 200, by, bucket: null, top: null })
      try {
        expect(strip(q('process').rows)).toEqual(processRows(recs))
        expect(strip(q('service').rows)).toEqual(serviceRows(recs))
        expect(strip(q('country').rows)).toEqual(countryRows(recs))
        expect(strip(q('asn').rows)).toEqual(asnRows(recs))
        // Each row passes the contract's schema unchanged (no key stripped by the union).
        for (const by of ['process', 'service', 'country', 'asn'] as const)
          for (const row of q(by).rows.slice(0, 20)) expect(HistoryRow.parse(row)).toEqual(row)

        // By conversation: the report's 22 columns, in order, with the same values.
        const plan = planQuery(ro, {
          from_s: S - 10,
          to_s: S + 200,
          by: 'conversation',
          bucket: null,
          top: null,
        })
        expect(plan.columns).toEqual([...CONVERSATION_REPORT_COLUMNS])
        const key = (x: { protocol: string; address_a: string; port_a: number | null }) =>
          `${x.protocol} ${x.address_a} ${x.port_a}`
        const got = new Map(strip(q('conversation').rows).map((x) => [key(x as never), x]))
        expect(got.size).toBe(recs.length)
        for (const c of recs) {
          const want = conversationRow({
            ...c,
            // The store names the service from the ports, as serviceRows does.
            service:
              serviceRows([c])[0]!.service === 'unknown' ? null : serviceRows([c])[0]!.service,
          })
          expect(got.get(key(c))).toEqual(want)
        }
      } finally {
        ro.close()
      }
    })
  }

  it('bucketed top N by process: the N busiest programs, summing to their totals', () => {
    const path = `${tmp.dir}/who-top.db`
    const db = openHistoryDb(path)
    const w = new HistoryWriter(db, path, { flush_ms: 0 })
    const recs = records(7, 300)
    new Recorder(w).deltas(deltas(recs, 7))
    w.close()
    const ro = openHistoryDb(path, { readonly: true })
    try {
      const all = processRows(recs)
      const top = queryHistory(ro, {
        from_s: S - 10,
        to_s: S + 200,
        by: 'process',
        bucket: '10s',
        top: 2,
      })
      const sums = new Map<string, number>()
      for (const row of top.rows as {
        process: string
        pid: number | null
        bytes_sent: number
        bytes_received: number
      }[]) {
        const k = `${row.process}/${row.pid}`
        sums.set(k, (sums.get(k) ?? 0) + row.bytes_sent + row.bytes_received)
      }
      expect(sums).toEqual(
        new Map(
          all.slice(0, 2).map((p) => [`${p.process}/${p.pid}`, p.bytes_sent + p.bytes_received]),
        ),
      )
      // Buckets: one row per (bucket, program), several buckets.
      expect(new Set(top.rows.map((x) => x.bucket_start)).size).toBeGreaterThan(3)
    } finally {
      ro.close()
    }
  })
})
