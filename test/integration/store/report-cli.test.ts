/** `flowscope report` end to end on the built CLI. */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { Recorder } from '../../../electron/shared/store/recorder'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from '../../unit/store/helpers'
import { built, flowscope } from './helpers'

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
const lines = (s: string) => s.split('\n').filter((l) => l !== '')

describe.skipIf(!built())('flowscope report', () => {
  const tmp = tempDir('fss-report-')
  const db = join(tmp.dir, 'history.db')
  const now_us = Date.now() * 1000
  afterAll(tmp.cleanup)

  beforeAll(() => {
    // Three conversations recorded over two minutes through the Recorder, as a capture would.
    const w = new HistoryWriter(openHistoryDb(db), db, { flush_ms: 0 })
    const r = new Recorder(w)
    const conv = (i: number, k: number, t_us: number) => ({
      protocol: i === 2 ? 'icmp' : 'tcp',
      address_a: i === 1 ? '=1+2' : `10.0.0.${i}`,
      port_a: i === 2 ? null : 40000 + i,
      address_b: '10.0.0.100',
      port_b: i === 2 ? null : 443,
      packets_a_to_b: k,
      bytes_a_to_b: 100 * k * (i + 1),
      packets_b_to_a: k,
      bytes_b_to_a: 1000 * k,
      first_seen_us: now_us - 120e6,
      last_seen_us: t_us,
      retransmissions: i === 0 ? k : 0,
      handshake_rtt_ms: i === 2 ? null : 1.25,
    })
    for (let k = 1; k <= 12; k++) {
      r.conversations([0, 1, 2].map((i) => conv(i, k, now_us - 120e6 + k * 10e6 - 1)))
    }
    w.close()
  })

  it('exports conversations as CSV with the capture report columns, totals equal the last records', () => {
    const res = flowscope([
      'report',
      '--db',
      db,
      '--by',
      'conversation',
      '--format',
      'csv',
      '--from',
      '-1h',
    ])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const [header, ...rows] = lines(res.stdout)
    expect(header).toBe(
      'protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms,' +
        'process,pid,service,name_a,name_b,country_a,country_b,asn_a,asn_b',
    )
    expect(rows).toHaveLength(3)
    // Biggest first: conv 2 (icmp, 3x bytes), then conv 1 (neutralised address), then conv 0.
    expect(rows[0]).toMatch(
      /^icmp,10\.0\.0\.2,,10\.0\.0\.100,,12,3600,12,12000,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z,/,
    )
    expect(rows[1]).toMatch(/^tcp,'=1\+2,40001,10\.0\.0\.100,443,12,2400,12,12000,/)
    // Recorded without attribution: only the service, which the store names from the ports.
    expect(rows[2]).toMatch(/,12,1\.25,,,https,,,,,,$/)
  })

  it('buckets with a leading bucket_start column and keeps the top N', () => {
    const res = flowscope([
      'report',
      '--db',
      db,
      '--bucket',
      '1m',
      '--top',
      '1',
      '--format',
      'csv',
      '--from=-1h',
    ])
    expect(res.code).toBe(0)
    const [header, ...rows] = lines(res.stdout)
    expect(header?.startsWith('bucket_start,protocol,address_a,')).toBe(true)
    expect(rows.length).toBeGreaterThanOrEqual(2)
    for (const row of rows) expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000000Z,icmp,/)
    const sum = rows.reduce((s, row) => s + Number(row.split(',')[7]), 0)
    expect(sum).toBe(3600)
  })

  it('writes JSON and a file with --out', () => {
    const out = join(tmp.dir, 'hosts.json')
    const res = flowscope(['report', '--db', db, '--by', 'host', '--format', 'json', '--out', out])
    expect(res.code).toBe(0)
    expect(res.stdout).toBe('')
    const hosts = JSON.parse(readFileSync(out, 'utf8')) as {
      address: string
      bytes_received: number
    }[]
    expect(hosts[0]).toMatchObject({ address: '10.0.0.100', bytes_received: 7200 })
  })

  it('--out is created owner-only and replaces a planted symlink instead of following it', () => {
    const victim = join(tmp.dir, 'victim.txt')
    writeFileSync(victim, 'keep me\n')
    const out = join(tmp.dir, 'planted.csv')
    symlinkSync(victim, out)
    const res = flowscope(['report', '--db', db, '--format', 'csv', '--out', out])
    expect(res.code).toBe(0)
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n')
    expect(lstatSync(out).isSymbolicLink()).toBe(false)
    expect(lstatSync(out).mode & 0o777).toBe(0o600)
    expect(readFileSync(out, 'utf8')).toMatch(/^protocol,address_a/)
  })

  it('exits 2 with one line when --from is after --to', () => {
    const res = flowscope(['report', '--db', db, '--from', 'now', '--to', '-1h'])
    expect(res.code).toBe(2)
    expect(lines(res.stderr)).toHaveLength(1)
    expect(res.stderr).toMatch(/--from .* is not before --to/)
    expect(res.stdout).toBe('')
  })

  it.each([
    ['--from', 'yesterday'],
    ['--by', 'port'],
    ['--bucket', '5m'],
    ['--top', '0'],
    ['--format', 'xml'],
  ])('exits 2 with one line for %s %s', (opt, value) => {
    const res = flowscope(['report', '--db', db, opt, value])
    expect(res.code).toBe(2)
    expect(lines(res.stderr)).toHaveLength(1)
  })

  it('refuses a foreign SQLite file and a corrupt file as --db, leaving them unchanged', () => {
    const foreign = join(tmp.dir, 'foreign.db')
    const other = new Database(foreign)
    other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)')
    other.close()
    const text = join(tmp.dir, 'notes.txt')
    writeFileSync(text, 'not a database\n'.repeat(100))
    for (const [file, why] of [
      [foreign, /not a Flowscope history/],
      [text, /not an SQLite database/],
    ] as const) {
      const before = sha(file)
      const res = flowscope(['report', '--db', file])
      expect(res.code).toBe(2)
      expect(lines(res.stderr)).toHaveLength(1)
      expect(res.stderr).toMatch(why)
      expect(sha(file)).toBe(before)
    }
  })

  it('fails with one line on a database damaged past its header, leaving no partial --out', () => {
    const path = join(tmp.dir, 'damaged.db')
    const w = new HistoryWriter(openHistoryDb(path), path, { flush_ms: 0 })
    for (let i = 0; i < 20_000; i++) {
      const t = now_us - i * 10e6
      w.addConversation({
        time_us: t,
        protocol: 'tcp',
        address_a: `10.0.${(i >> 8) & 255}.${i & 255}`,
        port_a: 1000,
        address_b: '10.9.9.9',
        port_b: 443,
        packets_a_to_b: 1,
        bytes_a_to_b: 100,
        packets_b_to_a: 1,
        bytes_b_to_a: 60,
        retransmissions: 0,
        first_seen_us: t,
        last_seen_us: t,
        handshake_rtt_ms: null,
      })
    }
    w.close()
    const plain = new Database(path)
    plain.pragma('journal_mode = DELETE')
    const pageSize = plain.pragma('page_size', { simple: true }) as number
    plain.close()
    const bytes = readFileSync(path)
    bytes.fill(0xa5, 40 * pageSize, 60 * pageSize)
    writeFileSync(path, bytes)
    const out = join(tmp.dir, 'damaged.csv')
    const res = flowscope(['report', '--db', path, '--format', 'csv', '--out', out])
    expect(res.code).toBe(2)
    expect(lines(res.stderr)).toEqual([expect.stringMatching(/corrupt/)])
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(tmp.dir).filter((f) => f.includes('partial'))).toEqual([])
  })

  it('reads FLOWSCOPE_DB and says clearly when there is no database', () => {
    const ok = flowscope(['report', '--format', 'csv', '--by', 'protocol'], { FLOWSCOPE_DB: db })
    expect(ok.code).toBe(0)
    expect(lines(ok.stdout)[0]).toBe('protocol,packets,bytes,conversations')
    const none = flowscope(['report'], { FLOWSCOPE_DB: join(tmp.dir, 'none.db') })
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no history database at/)
  })
})
