import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import type { StoreFailure } from '../../../common/history'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { Recorder } from '../../../electron/shared/store/recorder'
import {
  HistoryWriter,
  MAX_CACHED_IDS,
  type ConversationDelta,
} from '../../../electron/shared/store/writer'
import { tempDir } from './helpers'

const T0_US = 1_790_000_000_000_000

function conv(i: number, time_us = T0_US, pad = ''): ConversationDelta {
  return {
    time_us,
    protocol: 'tcp',
    address_a: `10.0.${Math.floor(i / 250)}.${i % 250}${pad}`,
    port_a: 40000 + (i % 1000),
    address_b: '192.0.2.1',
    port_b: 443,
    packets_a_to_b: 2,
    bytes_a_to_b: 200,
    packets_b_to_a: 1,
    bytes_b_to_a: 1500,
    retransmissions: 0,
    first_seen_us: time_us,
    last_seen_us: time_us,
    handshake_rtt_ms: null,
  }
}

const count = (path: string, sql = 'SELECT count(*) FROM conv_series WHERE step_s = 10') => {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare(sql).pluck().get() as number
  } finally {
    db.close()
  }
}

describe('HistoryWriter', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it('merges rows per bucket and series and commits in batches', () => {
    const path = `${tmp.dir}/batch.db`
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0, max_rows: 3 })
    w.addConversation(conv(1))
    w.addConversation(conv(1)) // same bucket, same conversation: merged
    w.addConversation(conv(2))
    expect(count(path), 'nothing committed before the batch fills').toBe(0)
    w.addConversation(conv(3)) // third distinct row: the batch commits
    expect(w.batches).toBe(1)
    expect(count(path)).toBe(3)
    expect(count(path, 'SELECT sum(bytes_a_to_b) FROM conv_series')).toBe(800)
    w.addInterface({
      time_us: T0_US,
      name: 'eth0',
      rx_bytes: 5,
      tx_bytes: 6,
      rx_packets: 1,
      tx_packets: 1,
      drops: 0,
    })
    w.addAlert({
      time_us: T0_US,
      rule: 'rx>1G',
      severity: 'warning',
      message: 'eth0 busy',
      value: 5,
    })
    expect(w.flush()).toBe(true)
    expect(count(path, 'SELECT count(*) FROM alerts')).toBe(1)
    expect(w.committed_rows).toBe(6)
    expect(w.close()).toBeNull()
  })

  it('commits on its timer without being asked', async () => {
    const path = `${tmp.dir}/timer.db`
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 50 })
    w.addConversation(conv(1))
    expect(count(path)).toBe(0)
    await new Promise((r) => setTimeout(r, 300))
    expect(count(path)).toBe(1)
    w.close()
  })

  it('stops with DISK_FULL when the database cannot grow; the caller goes on', () => {
    const path = `${tmp.dir}/full.db`
    const db = openHistoryDb(path)
    const w = new HistoryWriter(db, path, { flush_ms: 0, max_rows: 100_000 })
    for (let i = 0; i < 50; i++) w.addConversation(conv(i))
    expect(w.flush()).toBe(true)
    // Cap the file at its current size: the next batch needs new pages.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`)
    const failures: StoreFailure[] = []
    const recorder = new Recorder(w)
    recorder.onFailure((f) => failures.push(f))
    for (let i = 0; i < 2000; i++)
      w.addConversation(conv(i, T0_US + 10e6, '-padding-to-fill-pages'))
    expect(w.flush()).toBe(false)
    expect(w.state).toBe('failed')
    expect(failures).toHaveLength(1)
    expect(failures[0]!.code).toBe('DISK_FULL')
    expect(failures[0]!.message).toMatch(/disk is full/)
    expect(failures[0]!.message).toContain(path)
    expect(failures[0]!.dropped_rows).toBe(2000)
    // The caller keeps feeding it: nothing throws, rows are counted as dropped.
    expect(() =>
      recorder.conversations([
        { ...conv(1), first_seen_us: T0_US, last_seen_us: T0_US, handshake_rtt_ms: null },
      ]),
    ).not.toThrow()
    expect(w.failure?.dropped_rows).toBe(2001)
    expect(recorder.recording).toBe(false)
    w.close()
    // What was committed before is intact.
    const check = new Database(path)
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(check.prepare('SELECT count(*) FROM conv_series').pluck().get()).toBe(50)
    check.close()
  })

  it('stops with READ_ONLY on a read-only database', () => {
    const path = `${tmp.dir}/ro.db`
    openHistoryDb(path).close()
    const ro = new Database(path, { readonly: true })
    const w = new HistoryWriter(ro, path, { flush_ms: 0 })
    const failures: StoreFailure[] = []
    w.onFailure((f) => failures.push(f))
    w.addConversation(conv(1))
    expect(w.flush()).toBe(false)
    expect(failures.map((f) => f.code)).toEqual(['READ_ONLY'])
    expect(failures[0]!.message).toMatch(/read-only/)
    expect(w.addConversation(conv(2))).toBe(false)
    expect(w.close()?.code).toBe('READ_ONLY')
    expect(w.close()?.code, 'close twice is harmless').toBe('READ_ONLY')
  })
})

describe('HistoryWriter id cache', () => {
  const tmp = tempDir()
  afterAll(tmp.cleanup)

  it('stays at its bound with more conversations than it holds, and rows stay right', () => {
    const path = `${tmp.dir}/ids.db`
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0, maintain_ms: Infinity })
    const ids = (w as unknown as { ids: Map<string, number> }).ids
    const N = MAX_CACHED_IDS + 10_000
    let most = 0
    for (let i = 0; i < N; i++) {
      w.addConversation(conv(i))
      if (i % 1000 === 999) most = Math.max(most, ids.size)
    }
    expect(w.flush()).toBe(true)
    most = Math.max(most, ids.size)
    expect(most).toBe(MAX_CACHED_IDS) // filled to the bound, never past it
    // The oldest were evicted, the newest are cached: both come back in a later bucket and
    // must land on their existing conversation rows, not new ones.
    const later = T0_US + 10_000_000
    const key = (d: ConversationDelta) =>
      `c|${d.protocol}|${d.address_a}|${d.port_a}|${d.address_b}|${d.port_b}`
    expect(ids.has(key(conv(0)))).toBe(false)
    expect(ids.has(key(conv(N - 1)))).toBe(true)
    for (let i = 0; i < 100; i++) w.addConversation(conv(i, later))
    for (let i = N - 100; i < N; i++) w.addConversation(conv(i, later))
    expect(w.flush()).toBe(true)
    expect(ids.size).toBe(MAX_CACHED_IDS)
    expect(w.close()).toBeNull()
    expect(count(path, 'SELECT count(*) FROM conversations')).toBe(N)
    expect(count(path)).toBe(N + 200)
    expect(count(path, 'SELECT sum(bytes_a_to_b) FROM conv_series')).toBe((N + 200) * 200)
    // Each returning conversation has its two buckets under one id.
    expect(
      count(
        path,
        'SELECT count(*) FROM (SELECT conv_id FROM conv_series GROUP BY conv_id HAVING count(*) = 2)',
      ),
    ).toBe(200)
  })
})
