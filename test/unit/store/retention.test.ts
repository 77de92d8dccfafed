/** Retention per kind, pruning ended conversations, sliced maintenance (issue 8 items 1, 4). */
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  HistoryRetention,
  HistoryRetentionChange,
  type HistoryQuery,
} from '../../../common/history'
import type { HostRow } from '../../../electron/shared/report/rows'
import { openHistoryDb, type Db } from '../../../electron/shared/store/open'
import { queryHistory } from '../../../electron/shared/store/queries'
import { RETENTION_FLAGS, retentionFromFlags } from '../../../electron/shared/store/retention-flags'
import { maintain, readPrunedBelow } from '../../../electron/shared/store/rollup'
import {
  bucketStart,
  DEFAULT_KIND_RETENTION,
  DEFAULT_RETENTION,
  mergeRetention,
  parseRetentionSpec,
  type Retention,
} from '../../../electron/shared/store/tiers'
import { isoMicros } from '../../../electron/shared/store/time'
import { HistoryWriter, type WriterOptions } from '../../../electron/shared/store/writer'
import { hostRows, hostsOf, tempDir } from './helpers'

const { dir, cleanup } = tempDir('fss-retention-')
afterAll(cleanup)
const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0
if (!hasSqlite3) console.warn('retention: sqlite3 CLI missing, counting with better-sqlite3 only')
const T0 = 1_790_000_000

const conv = (i: number, t_s: number) => ({
  time_us: t_s * 1e6,
  protocol: 'udp',
  address_a: `10.0.0.${i}`,
  port_a: 5000 + i,
  address_b: '192.0.2.9',
  port_b: 53,
  packets_a_to_b: 1,
  bytes_a_to_b: 100,
  packets_b_to_a: 1,
  bytes_b_to_a: 200,
  retransmissions: 0,
  first_seen_us: t_s * 1e6,
  last_seen_us: t_s * 1e6,
  handshake_rtt_ms: null,
})
const iface = (t_s: number) => ({
  time_us: t_s * 1e6,
  name: 'eth0',
  rx_bytes: 1000,
  tx_bytes: 10,
  rx_packets: 1,
  tx_packets: 1,
  drops: 0,
})

const count = (path: string, sql: string): number =>
  hasSqlite3
    ? Number(execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim())
    : (openHistoryDb(path, { readonly: true }).prepare(sql).pluck().get() as number)

describe('retention per kind', () => {
  it('prunes ended conversations with their rows, keeps interfaces by their own retention', () => {
    const path = join(dir, 'kinds.db')
    let now_s = T0
    const w = new HistoryWriter(openHistoryDb(path), path, {
      flush_ms: 0,
      maintain_ms: Infinity,
      now_ms: () => now_s * 1000,
      retention: { conversations: { '10s': 600, '1m': 3600, '1h': 2 * 86400, '1d': 3 * 86400 } },
    })
    for (let i = 1; i <= 20; i++) w.addConversation(conv(i, T0 + i))
    w.addInterface(iface(T0 + 5))
    w.flush()
    now_s = T0 + 3600
    w.addConversation(conv(99, now_s)) // still active later
    w.flush()
    w.maintain()
    expect(count(path, 'SELECT count(*) FROM conversations')).toBe(21)
    // Five days on: the 20 ended conversations aged out of every tier, #99 too.
    now_s = T0 + 5 * 86400
    w.addConversation(conv(7, now_s)) // the same 5-tuple again: a new row, not the old one
    w.flush()
    w.maintain()
    w.flush()
    expect(count(path, 'SELECT count(*) FROM conversations')).toBe(1)
    expect(count(path, `SELECT count(*) FROM conv_series WHERE bucket_s < ${T0 + 86400}`)).toBe(0)
    // Interfaces keep their default retention: the hour and day tiers still hold T0.
    expect(count(path, `SELECT count(*) FROM iface_series WHERE step_s = 3600`)).toBe(1)
    const db = openHistoryDb(path, { readonly: true })
    const all = { from_s: T0 - 60, to_s: now_s + 60, bucket: null, top: null }
    const convs = queryHistory(db, { ...all, by: 'conversation' }).rows
    expect(convs).toHaveLength(1)
    expect(convs[0]).toMatchObject({ address_a: '10.0.0.7', bytes_a_to_b: 100 })
    expect(queryHistory(db, { ...all, by: 'interface' }).rows[0]).toMatchObject({ rx_bytes: 1000 })
    db.close()
    w.close()
  })

  it('a catch-up runs in bounded slices that end where one full pass ends', () => {
    const mk = (name: string) => {
      const path = join(dir, name)
      const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0, maintain_ms: Infinity })
      for (let b = 0; b < 3 * 8640; b += 7) w.addInterface(iface(T0 + 10 * b))
      w.close()
      return openHistoryDb(path)
    }
    const now_s = T0 + 10 * 86400
    const sliced = mk('sliced.db')
    let passes = 0
    for (let more = true; more; passes++) more = maintain(sliced, now_s, { slice: true }).more
    expect(passes).toBeGreaterThan(2)
    const whole = mk('whole.db')
    maintain(whole, now_s)
    const dump = (db: typeof whole) =>
      JSON.stringify(db.prepare('SELECT * FROM iface_series ORDER BY step_s, bucket_s').all())
    expect(dump(sliced)).toBe(dump(whole))
    sliced.close()
    whole.close()
  })

  it('parses --retention-KIND specs and names a bad part', () => {
    expect(parseRetentionSpec('10s=2h, 1d=forever')).toEqual({ '10s': 7200, '1d': null })
    expect(parseRetentionSpec('1m=2w')).toEqual({ '1m': 14 * 86400 })
    expect(() => parseRetentionSpec('10s=1d,5m=2d')).toThrow(/'5m=2d'/)
  })
})

/** A writer on its own clock (`clock.now_s`), committing and maintaining only when told. */
function clockedWriter(name: string, retention?: WriterOptions['retention']) {
  const path = join(dir, name)
  const clock = { now_s: T0 }
  const w = new HistoryWriter(openHistoryDb(path), path, {
    flush_ms: 0,
    maintain_ms: Infinity,
    now_ms: () => clock.now_s * 1000,
    ...(retention && { retention }),
  })
  return { path, clock, w }
}

describe('host retention', () => {
  const hostQuery = (db: Db, q: Omit<HistoryQuery, 'by'>) =>
    queryHistory(db, { ...q, by: 'host' }).rows as (HostRow & { bucket_start: string | null })[]

  it('keeps host series longer than the conversations they were built from', () => {
    const short = { '10s': 600, '1m': 3600, '1h': 2 * 86400 }
    const { path, clock, w } = clockedWriter('hosts-longer.db', {
      conversations: { ...short, '1d': 3 * 86400 },
      hosts: { ...short, '1d': null },
    })
    for (let i = 1; i <= 20; i++) w.addConversation(conv(i, T0 + i))
    w.flush()
    clock.now_s = T0 + 3600
    w.addConversation(conv(99, clock.now_s))
    w.flush()
    w.maintain()
    clock.now_s = T0 + 5 * 86400
    w.addConversation(conv(7, clock.now_s))
    w.flush()
    w.maintain()
    w.flush()
    const D0 = bucketStart(T0, 86400)
    // Day 0: no conversation row is left in any tier, its host rows are, in the 1 d tier only.
    expect(count(path, `SELECT count(*) FROM conv_series WHERE bucket_s < ${D0 + 86400}`)).toBe(0)
    expect(count(path, `SELECT count(*) FROM host_series WHERE bucket_s < ${D0 + 86400}`)).toBe(22)
    expect(
      count(
        path,
        `SELECT count(*) FROM host_series WHERE bucket_s < ${D0 + 86400} AND step_s = 86400`,
      ),
    ).toBe(22)
    expect(count(path, 'SELECT count(*) FROM conversations')).toBe(1)
    const db = openHistoryDb(path, { readonly: true })
    expect(readPrunedBelow(db, 'conversations')[3]).toBeGreaterThan(D0)
    expect(readPrunedBelow(db, 'hosts')[3]).toBe(0)
    const all = { from_s: D0, to_s: clock.now_s + 60, top: null }
    const daily = hostQuery(db, { ...all, bucket: '1d' })
    const day0 = daily.filter((r) => r.bucket_start === isoMicros(D0 * 1e6))
    // 21 conversations with 192.0.2.9 on day 0: 200 bytes sent and 100 received each.
    expect(day0.find((r) => r.address === '192.0.2.9')).toMatchObject({
      bytes_sent: 4200,
      bytes_received: 2100,
      packets_sent: 21,
      conversations: 21,
      first_seen: isoMicros((T0 + 1) * 1e6),
      last_seen: isoMicros((T0 + 3600) * 1e6),
    })
    expect(day0).toHaveLength(22)
    const today = daily.filter(
      (r) => r.bucket_start === isoMicros(bucketStart(clock.now_s, 86400) * 1e6),
    )
    expect(today.map((r) => [r.address, r.bytes_sent, r.conversations])).toEqual([
      ['10.0.0.7', 100, 1], // 300 bytes each: ties go by address
      ['192.0.2.9', 200, 1],
    ])
    // Unbucketed: bytes over everything the host series keep; the conversation count can only
    // see the conversations still kept (one).
    const whole = hostQuery(db, { ...all, bucket: null })
    expect(whole[0]).toMatchObject({
      address: '192.0.2.9',
      bytes_sent: 4400,
      bytes_received: 2200,
      conversations: 1,
    })
    expect(queryHistory(db, { ...all, by: 'conversation', bucket: null }).rows).toHaveLength(1)
    db.close()
    w.close()
  })

  it('prunes host series sooner than conversations, and host queries plan against it', () => {
    const { path, clock, w } = clockedWriter('hosts-shorter.db', {
      hosts: { '1h': 86400 } as Retention,
    })
    for (let i = 0; i < 48; i++) {
      clock.now_s = T0 + i * 3600
      w.addConversation(conv(i % 5, clock.now_s))
      w.flush()
      w.maintain()
    }
    clock.now_s = T0 + 3 * 86400
    w.maintain()
    w.flush()
    const cut = clock.now_s - 86400
    expect(
      count(
        path,
        `SELECT count(*) FROM host_series WHERE step_s = 3600 AND bucket_s < ${cut - 3600}`,
      ),
    ).toBe(0)
    expect(
      count(
        path,
        `SELECT count(*) FROM conv_series WHERE step_s = 3600 AND bucket_s < ${cut - 3600}`,
      ),
    ).toBeGreaterThan(40)
    // The 10 s tier went by everyone's 24 h, the 1 d tier is kept: rows per tier.
    expect(count(path, `SELECT count(*) FROM host_series WHERE step_s = 10`)).toBe(0)
    expect(count(path, `SELECT count(*) FROM host_series WHERE step_s = 86400`)).toBeGreaterThan(0)
    const db = openHistoryDb(path, { readonly: true })
    const hostsMark = readPrunedBelow(db, 'hosts')[2] as number
    expect(hostsMark).toBeGreaterThan(readPrunedBelow(db, 'conversations')[2] as number)
    // Hourly buckets of the first two days: hosts have none left, so they come daily and equal
    // the conversations summed per host and day over the same range.
    const range = { from_s: T0, to_s: T0 + 2 * 86400, top: null }
    const res = queryHistory(db, { ...range, by: 'host', bucket: '1h' })
    expect(res.meta.step).toBe('1d')
    const same = { from_s: Date.parse(res.meta.from) / 1000, to_s: Date.parse(res.meta.to) / 1000 }
    const convs = queryHistory(db, { ...range, ...same, by: 'conversation', bucket: '1d' })
    expect(hostRows(res.rows)).toEqual(hostsOf(convs.rows))
    expect(res.rows.length).toBeGreaterThan(0)
    // Conversations still have their hourly rows there.
    expect(queryHistory(db, { ...range, by: 'conversation', bucket: '1h' }).meta.step).toBe('1h')
    db.close()
    w.close()
  })

  it('migration 6 builds host series from the conversation rows of an older database', () => {
    const { path, clock, w } = clockedWriter('upgrade.db')
    for (let i = 0; i < 200; i++) {
      clock.now_s = T0 + i * 97
      w.addConversation(conv(i % 7, clock.now_s))
      if (i % 10 === 0) w.flush()
      if (i % 50 === 0) w.maintain()
    }
    w.close()
    const dump = (db: Db) =>
      db
        .prepare(
          `SELECT s.step_s, s.bucket_s, h.address, packets_sent, bytes_sent, packets_received,
             bytes_received, conversations, first_off_us, last_off_us
           FROM host_series s JOIN hosts h ON h.id = s.host_id ORDER BY 1, 2, 3`,
        )
        .raw()
        .all()
    const q = { from_s: T0 - 60, to_s: clock.now_s + 60, by: 'host' as const, top: null }
    let db = openHistoryDb(path)
    const rows = dump(db)
    const byMinute = queryHistory(db, { ...q, bucket: '1m' }).rows
    const whole = queryHistory(db, { ...q, bucket: null }).rows
    expect(rows.length).toBeGreaterThan(300)
    // As a database from before migration 6.
    db.exec(`DROP TABLE host_series; DROP TABLE hosts;
      DELETE FROM kind_tier_state WHERE kind = 'hosts'; PRAGMA user_version = 5;`)
    db.close()
    db = openHistoryDb(path)
    expect(db.pragma('user_version', { simple: true })).toBe(6)
    expect(dump(db)).toEqual(rows)
    expect(queryHistory(db, { ...q, bucket: '1m' }).rows).toEqual(byMinute)
    expect(queryHistory(db, { ...q, bucket: null }).rows).toEqual(whole)
    const marks = (kind: string) =>
      db
        .prepare('SELECT step_s, pruned_below_s FROM kind_tier_state WHERE kind = ? ORDER BY 1')
        .all(kind)
    expect(marks('hosts')).toEqual(marks('conversations'))
    db.close()
  })

  it('reads --retention-hosts like the other kinds, and merges changes per kind', () => {
    expect(Object.keys(RETENTION_FLAGS)).toContain('retention-hosts')
    expect(
      retentionFromFlags({ 'retention-hosts': '1d=forever,1h=1y'.replace('1y', '52w') }),
    ).toEqual({ hosts: { '1d': null, '1h': 52 * 7 * 86400 } })
    expect(() => retentionFromFlags({ 'retention-hosts': '1h=30' })).toThrow(
      /^--retention-hosts: '1h=30'/,
    )
    expect(retentionFromFlags({})).toBeUndefined()
    const next = mergeRetention(DEFAULT_KIND_RETENTION, { hosts: { '1d': null } })
    expect(next.hosts).toEqual({ ...DEFAULT_KIND_RETENTION.hosts, '1d': null })
    expect(next.conversations).toEqual(DEFAULT_KIND_RETENTION.conversations)
    const every = mergeRetention(DEFAULT_KIND_RETENTION, DEFAULT_RETENTION)
    expect(Object.keys(every).sort()).toEqual(['conversations', 'hosts', 'interfaces', 'probes'])
    // The contract's shape takes the hosts key, and still takes a change without it.
    expect(HistoryRetention.parse(next)).toEqual(next)
    expect(HistoryRetentionChange.parse({ conversations: { '10s': 60 } })).toEqual({
      conversations: { '10s': 60 },
    })
  })
})
