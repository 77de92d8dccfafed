// History store benchmark (run `npm run build` first):
//   node bench/store.bench.mjs [--convs N] [--keep] [--no-plans] [--before DIR]
// --before DIR: another build's out/main (e.g. main's, copied aside before rebuilding) whose
// queryHistory runs the same queries on the same database, side by side ("before"/"after").
//  1. write throughput: the batched HistoryWriter vs a naive writer doing the same upserts with
//     one transaction per row (the peer), same database settings (WAL, synchronous=NORMAL);
//  2. a synthetic month at N active conversations (default 1,000, each active in every bucket:
//     the worst case), laid out as retention leaves it (10 s for 24 h, 1 min for 7 d, 1 h for
//     the rest of the month, 1 d for all of it), with the on-disk size of each tier, so the
//     growth per day can be read off;
//  3. the time of a 30-day top-10 query on it (and a 7-day one for comparison).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
let store
try {
  store = require(join(here, '..', 'out', 'main', 'store.js'))
} catch {
  console.error('store.bench: run `npm run build` first (needs out/main/store.js)')
  process.exit(2)
}
const beforeAt = process.argv.indexOf('--before')
const beforeStore = beforeAt < 0 ? null : require(resolve(process.argv[beforeAt + 1], 'store.js'))

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const CONVS = arg('convs', 1000)
const KEEP = process.argv.includes('--keep')
const dir = mkdtempSync(join(tmpdir(), 'fss-bench-'))
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const fileSize = (path) => {
  let total = 0
  for (const p of [path, `${path}-wal`]) {
    try {
      total += statSync(p).size
    } catch {
      // no WAL
    }
  }
  return total
}

function delta(i, bucket) {
  const time_us = bucket * 1e6 + 5e6
  return {
    time_us,
    protocol: i % 5 === 0 ? 'udp' : 'tcp',
    address_a: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port_a: 30000 + (i % 30000),
    address_b: `192.0.2.${i % 200}`,
    port_b: 443,
    packets_a_to_b: 10 + (i % 7),
    bytes_a_to_b: 1500 * (10 + (i % 7)),
    packets_b_to_a: 8,
    bytes_b_to_a: 600,
    retransmissions: i % 11 === 0 ? 1 : 0,
    first_seen_us: time_us - 4e6,
    last_seen_us: time_us,
    handshake_rtt_ms: null,
  }
}

// --- 1. write throughput ---------------------------------------------------------------------
function batched(rows, impl = store, name = 'batched.db') {
  const path = join(dir, name)
  const writer = new impl.HistoryWriter(impl.openHistoryDb(path), path, {
    flush_ms: 0,
    max_rows: 20_000,
    maintain_ms: Infinity,
  })
  const t0 = process.hrtime.bigint()
  const b0 = 1_790_000_000
  for (let n = 0; n < rows; n++)
    writer.addConversation(delta(n % CONVS, b0 + Math.floor(n / CONVS) * 10))
  writer.flush()
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  writer.close()
  return { rows, s, batches: writer.batches }
}

function naive(rows) {
  // The same statements the writer runs, but each row committed on its own.
  const path = join(dir, 'naive.db')
  const db = store.openHistoryDb(path)
  const convIns = db.prepare(
    'INSERT INTO conversations (protocol, address_a, port_a, address_b, port_b) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  )
  const convGet = db
    .prepare(
      'SELECT id FROM conversations WHERE protocol = ? AND address_a = ? AND port_a = ? AND address_b = ? AND port_b = ?',
    )
    .pluck()
  const upsert = db.prepare(
    `INSERT INTO conv_series (step_s, bucket_s, conv_id, packets_a_to_b, bytes_a_to_b, packets_b_to_a, bytes_b_to_a, retransmissions, first_off_us, last_off_us)
     VALUES (10, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (step_s, bucket_s, conv_id) DO UPDATE SET
     packets_a_to_b = packets_a_to_b + excluded.packets_a_to_b, bytes_a_to_b = bytes_a_to_b + excluded.bytes_a_to_b,
     packets_b_to_a = packets_b_to_a + excluded.packets_b_to_a, bytes_b_to_a = bytes_b_to_a + excluded.bytes_b_to_a,
     retransmissions = retransmissions + excluded.retransmissions,
     first_off_us = min(first_off_us, excluded.first_off_us), last_off_us = max(last_off_us, excluded.last_off_us)`,
  )
  const t0 = process.hrtime.bigint()
  const b0 = 1_790_000_000
  for (let n = 0; n < rows; n++) {
    const bucket = b0 + Math.floor(n / CONVS) * 10
    const d = delta(n % CONVS, bucket)
    convIns.run(d.protocol, d.address_a, d.port_a, d.address_b, d.port_b)
    const id = convGet.get(d.protocol, d.address_a, d.port_a, d.address_b, d.port_b)
    const base = bucket * 1e6
    upsert.run(
      bucket,
      id,
      d.packets_a_to_b,
      d.bytes_a_to_b,
      d.packets_b_to_a,
      d.bytes_b_to_a,
      d.retransmissions,
      d.first_seen_us - base,
      d.last_seen_us - base,
    )
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  db.close()
  return { rows, s }
}

console.log(`history store bench: ${CONVS} conversations, database in ${dir}\n`)
console.log('1. write throughput (one row = one conversation in one 10 s bucket)')
const b = batched(CONVS * 300)
const nv = naive(Math.min(CONVS * 30, 30_000))
const bRate = b.rows / b.s
const nRate = nv.rows / nv.s
console.log(
  `   ${'writer'.padEnd(38)} ${'rows'.padStart(10)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(10)}`,
)
console.log(
  `   ${`batched (${b.batches} transactions)`.padEnd(38)} ${fmt(b.rows).padStart(10)} ${b.s.toFixed(2).padStart(8)} ${fmt(bRate).padStart(10)}`,
)
console.log(
  `   ${'naive (one transaction per row, peer)'.padEnd(38)} ${fmt(nv.rows).padStart(10)} ${nv.s.toFixed(2).padStart(8)} ${fmt(nRate).padStart(10)}`,
)
console.log(`   batched / naive: ${(bRate / nRate).toFixed(1)}x`)
if (beforeStore) {
  // The same batched writes through the other build (derived series it does not keep).
  const o = batched(CONVS * 300, beforeStore, 'batched-before.db')
  console.log(
    `   ${`before: batched (${o.batches} transactions)`.padEnd(38)} ${fmt(o.rows).padStart(10)} ${o.s.toFixed(2).padStart(8)} ${fmt(o.rows / o.s).padStart(10)}`,
  )
}
const needed = CONVS / 10
console.log(
  `   needed at ${CONVS} active conversations: ${fmt(needed)} rows/s (one per conversation per 10 s)\n`,
)

// --- 2. a synthetic month, as retention leaves it ----------------------------------------------
console.log(`2. synthetic month at ${CONVS} conversations, each active in every bucket`)
const path = join(dir, 'month.db')
const db = store.openHistoryDb(path)
const now_s = Math.floor(Date.now() / 1000)
const day0 = store.bucketStart(now_s, 86400) - 29 * 86400 // 30 calendar days, today included
const insertConvs = db.prepare(
  'INSERT INTO conversations (id, protocol, address_a, port_a, address_b, port_b) VALUES (?, ?, ?, ?, ?, ?)',
)
db.transaction(() => {
  for (let i = 0; i < CONVS; i++) {
    const d = delta(i, 0)
    insertConvs.run(i + 1, d.protocol, d.address_a, d.port_a, d.address_b, d.port_b)
  }
})()
// Generates one tier's rows inside SQLite: every conversation in every bucket of [lo, hi).
const fill = db.prepare(`
  WITH RECURSIVE b(x) AS (SELECT @lo UNION ALL SELECT x + @step FROM b WHERE x + @step < @hi),
       c(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM c WHERE id < @convs)
  INSERT INTO conv_series
  SELECT @step, x, id, @mul * (10 + id % 7), @mul * 1500 * (10 + id % 7), @mul * 8, @mul * 600,
         CASE WHEN id % 11 = 0 THEN @mul ELSE 0 END, 1000000, @step * 1000000 - 1
  FROM b CROSS JOIN c ORDER BY x, id`)
const tiers = [
  // step, range start, multiplier (10 s buckets per bucket)
  { name: '1d', step: 86400, lo: day0, hi: store.bucketStart(now_s, 86400) },
  { name: '1h', step: 3600, lo: day0, hi: store.bucketStart(now_s, 3600) },
  {
    name: '1m',
    step: 60,
    lo: store.bucketStart(now_s - 7 * 86400, 60),
    hi: store.bucketStart(now_s, 60),
  },
  {
    name: '10s',
    step: 10,
    lo: store.bucketStart(now_s - 86400, 10),
    hi: store.bucketStart(now_s, 10),
  },
]
const sizes = []
// Filled without the secondary indexes, which are built afterwards as a migration would.
const indexes = db
  .prepare(
    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conv_series' AND sql IS NOT NULL",
  )
  .pluck()
  .all()
db.exec('DROP INDEX IF EXISTS conv_series_conv')
let before = fileSize(path)
for (const t of tiers) {
  const t0 = process.hrtime.bigint()
  const rows = db.transaction(
    () => fill.run({ lo: t.lo, hi: t.hi, step: t.step, convs: CONVS, mul: t.step / 10 }).changes,
  )()
  db.pragma('wal_checkpoint(TRUNCATE)')
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const after = fileSize(path)
  const days = (t.hi - t.lo) / 86400
  sizes.push({ ...t, rows, bytes: after - before, days, s })
  before = after
}
for (const sql of indexes) db.exec(sql)
db.pragma('wal_checkpoint(TRUNCATE)')
if (indexes.length)
  console.log(`   conv_series index (conv_id, step_s, bucket_s): ${mb(fileSize(path) - before)}`)
// Derived series (per protocol, per host), as the writer and maintenance keep them, a day at a
// time (builds without them: skipped).
const rebuild = store.rebuildDerivedSeries ?? store.rebuildProtoSeries
if (rebuild) {
  db.pragma('wal_checkpoint(TRUNCATE)')
  const size0 = fileSize(path)
  const t0 = process.hrtime.bigint()
  for (const t of tiers)
    for (let lo = t.lo; lo < t.hi; lo += 86400)
      db.transaction(() => rebuild(db, t.step, lo, Math.min(t.hi, lo + 86400)))()
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const count = (table) => {
    try {
      return fmt(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get())
    } catch {
      return 'no table'
    }
  }
  console.log(
    `   derived series built in ${s.toFixed(1)} s: proto_series ${count('proto_series')} rows, ` +
      `host_series ${count('host_series')} rows`,
  )
  db.pragma('wal_checkpoint(TRUNCATE)')
  console.log(`   derived series with their indexes: ${mb(fileSize(path) - size0)}`)
}
// Watermarks and pruning as maintenance would have left them.
db.prepare('UPDATE rollup_state SET done_until_s = ? WHERE from_step_s = ?').run(tiers[2].hi, 10)
db.prepare('UPDATE rollup_state SET done_until_s = ? WHERE from_step_s = ?').run(tiers[1].hi, 60)
db.prepare('UPDATE rollup_state SET done_until_s = ? WHERE from_step_s = ?').run(tiers[0].hi, 3600)
db.prepare('UPDATE tier_state SET pruned_below_s = ? WHERE step_s = ?').run(tiers[3].lo, 10)
db.prepare('UPDATE tier_state SET pruned_below_s = ? WHERE step_s = ?').run(tiers[2].lo, 60)
// The 1 h tier keeps 180 days: nothing of this month is pruned from it yet.
db.pragma('wal_checkpoint(TRUNCATE)')

console.log(
  `   ${'tier'.padEnd(5)} ${'kept'.padStart(8)} ${'rows'.padStart(12)} ${'size'.padStart(10)} ${'bytes/row'.padStart(10)} ${'per day kept'.padStart(13)}`,
)
for (const t of [...sizes].reverse()) {
  console.log(
    `   ${t.name.padEnd(5)} ${`${t.days.toFixed(1)} d`.padStart(8)} ${fmt(t.rows).padStart(12)} ${mb(t.bytes).padStart(10)} ${(t.bytes / t.rows).toFixed(1).padStart(10)} ${mb(t.bytes / t.days).padStart(13)}`,
  )
}
const total = fileSize(path)
const perDay = Object.fromEntries(sizes.map((t) => [t.name, t.bytes / t.days]))
console.log(`   total on disk: ${mb(total)} for the month`)
console.log(
  `   growth per day: ${mb(perDay['10s'] + perDay['1m'] + perDay['1h'] + perDay['1d'])} on day 1, ` +
    `${mb(perDay['1h'] + perDay['1d'])}/day once the 10 s and 1 min tiers are full (day 8 on), ` +
    `${mb(perDay['1d'])}/day after 180 days (1 d tier only)`,
)
const steady = perDay['10s'] * 1 + perDay['1m'] * 7 + perDay['1h'] * 180
console.log(
  `   bounded at ${mb(steady)} + ${mb(perDay['1d'])} per day kept forever (default retention)\n`,
)

// --- 3. queries --------------------------------------------------------------------------------
console.log('3. top-10 queries (median of 3 runs), each with its EXPLAIN QUERY PLAN')
const PLANS = process.argv.includes('--no-plans') ? false : true
function time(q, impl = store) {
  const runs = []
  let res
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint()
    res = impl.queryHistory(db, q)
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  runs.sort((a, z) => a - z)
  return { ms: runs[1], res }
}
function printPlan(q) {
  const plan = store.planQuery(db, q)
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${plan.sql}`).all(...plan.params)
  const depth = new Map([[0, 0]])
  for (const r of rows) {
    const d = (depth.get(r.parent) ?? 0) + 1
    depth.set(r.id, d)
    console.log(`        ${'  '.repeat(d - 1)}${r.detail}`)
  }
}
if (beforeStore) console.log(`   before: ${process.argv[beforeAt + 1]} (same database, same run)`)
console.log(
  `   ${'query'.padEnd(33)} ${'tier'.padEnd(9)} ${beforeStore ? `${'before'.padStart(9)} ` : ''}${'after'.padStart(9)} ${'rows'.padStart(6)}`,
)
const over = []
for (const [label, from_s, by, bucket] of [
  ['30 days, by conversation', now_s - 30 * 86400, 'conversation', null],
  ['30 days, by host', now_s - 30 * 86400, 'host', null],
  ['30 days, by protocol', now_s - 30 * 86400, 'protocol', null],
  ['30 days, daily buckets', now_s - 30 * 86400, 'conversation', '1d'],
  ['30 days, hosts, daily buckets', now_s - 30 * 86400, 'host', '1d'],
  ['30 days, hosts, 1 h buckets', now_s - 30 * 86400, 'host', '1h'],
  ['7 days, by conversation', now_s - 7 * 86400, 'conversation', null],
  ['7 days, by host', now_s - 7 * 86400, 'host', null],
  ['24 hours, by conversation', now_s - 86400, 'conversation', null],
  ['24 hours, by host', now_s - 86400, 'host', null],
  ['24 hours, by protocol', now_s - 86400, 'protocol', null],
  ['24 hours, 10 s buckets', now_s - 86400, 'conversation', '10s'],
  ['24 hours, hosts, 1 m buckets', now_s - 86400, 'host', '1m'],
  ['24 hours, hosts, 1 h buckets', now_s - 86400, 'host', '1h'],
  ['24 hours, protocols, 1 m buckets', now_s - 86400, 'protocol', '1m'],
]) {
  const q = { from_s, to_s: now_s, by, bucket, top: 10 }
  const { ms, res } = time(q)
  const old = beforeStore ? time(q, beforeStore) : null
  // The same rows from both builds (the host series must give what the conversation rows gave).
  const same = old ? JSON.stringify(old.res.rows) === JSON.stringify(res.rows) : true
  const tier = `${res.meta.tier}${res.meta.step ? `/${res.meta.step}` : ''}`
  console.log(
    `   ${label.padEnd(33)} ${tier.padEnd(9)} ${old ? `${`${old.ms.toFixed(0)} ms`.padStart(9)} ` : ''}${`${ms.toFixed(0)} ms`.padStart(9)} ${fmt(res.rows.length).padStart(6)}${same ? '' : '  ROWS DIFFER'}`,
  )
  if (ms >= 200 && from_s >= now_s - 30 * 86400) over.push(label)
  if (!same) process.exitCode = 1
  if (PLANS && store.planQuery) printPlan(q)
}
console.log(
  over.length
    ? `   over 200 ms: ${over.join(', ')}`
    : '   every 24-hour and 30-day top-10 above: under 200 ms',
)
db.close()
if (KEEP) console.log(`\nkept ${dir}`)
else rmSync(dir, { recursive: true, force: true })
