/** Retention per kind, pruning ended conversations, sliced maintenance (issue 8 items 1, 4). */
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { queryHistory } from '../../../electron/shared/store/queries'
import { maintain } from '../../../electron/shared/store/rollup'
import { parseRetentionSpec } from '../../../electron/shared/store/tiers'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from './helpers'

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
