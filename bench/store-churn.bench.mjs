// History under churn (issue 8 item 4; run `npm run build` first):
//   node bench/store-churn.bench.mjs [--per-minute 10000] [--minutes 60]
// 1. churn: N new conversations per simulated minute (each one short flow, never seen again)
//    for an hour, with rollups and retention running as the writer runs them;
// 2. retention: the clock moves past the conversations' retention (3 days), maintenance runs;
// 3. churn again for an hour: freed pages are reused, so the file does not grow past phase 1.
// Printed every 10 simulated minutes: conversations and hosts kept, series rows (conversation
// and host series; every churned conversation brings a new local address), file size (db + WAL),
// live size (pages in use), and this process's RSS (the writer runs in it, as in the engine).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
let store
try {
  store = require(join(here, '..', 'out', 'main', 'store.js'))
} catch {
  console.error('store-churn: run `npm run build` first (needs out/main/store.js)')
  process.exit(2)
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const PER_MIN = arg('per-minute', 10_000)
const MINUTES = arg('minutes', 60)
const dir = mkdtempSync(join(tmpdir(), 'fss-churn-'))
const path = join(dir, 'churn.db')
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`
const size = () =>
  [path, `${path}-wal`].reduce((s, p) => {
    try {
      return s + statSync(p).size
    } catch {
      return s
    }
  }, 0)

// Conversations and hosts: 10 s for 1 h, 1 min for 6 h, 1 h for 1 day, 1 day for 2 days.
const kept = { '10s': 3600, '1m': 6 * 3600, '1h': 86400, '1d': 2 * 86400 }
const retention = { conversations: kept, hosts: kept }
let now_s = store.bucketStart(1_790_000_000, 86400)
const writer = new store.HistoryWriter(store.openHistoryDb(path), path, {
  flush_ms: 0,
  maintain_ms: Infinity,
  now_ms: () => now_s * 1000,
  retention,
})
const probe = store.openHistoryDb(path, { readonly: true })
const live = () =>
  (probe.pragma('page_count', { simple: true }) -
    probe.pragma('freelist_count', { simple: true })) *
  probe.pragma('page_size', { simple: true })
const n = (sql) => probe.prepare(sql).pluck().get()
// Builds without host series: '-'.
const hosts = (sql) => {
  try {
    return n(sql).toLocaleString('en-US')
  } catch {
    return '-'
  }
}

let serial = 0
function minuteOfChurn() {
  for (let s = 0; s < 60; s += 10) {
    for (let k = 0; k < PER_MIN / 6; k++) {
      const i = serial++
      const t_us = (now_s + s + (k % 10)) * 1e6
      writer.addConversation({
        time_us: t_us,
        protocol: i % 4 === 0 ? 'udp' : 'tcp',
        address_a: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        port_a: 1024 + (i % 60000),
        address_b: `198.51.100.${i % 250}`,
        port_b: 443,
        packets_a_to_b: 5,
        bytes_a_to_b: 2000,
        packets_b_to_a: 4,
        bytes_b_to_a: 900,
        retransmissions: 0,
        first_seen_us: t_us - 500_000,
        last_seen_us: t_us,
        handshake_rtt_ms: null,
      })
    }
    writer.flush()
  }
  now_s += 60
  writer.maintain(now_s * 1000, true)
}

console.log(
  `churn: ${PER_MIN.toLocaleString('en-US')} new conversations per simulated minute, database ${path}`,
)
console.log(
  `   ${'phase'.padEnd(10)} ${'sim time'.padStart(9)} ${'convs kept'.padStart(11)} ${'series rows'.padStart(12)} ${'hosts kept'.padStart(11)} ${'host rows'.padStart(12)} ${'file'.padStart(10)} ${'live'.padStart(10)} ${'RSS'.padStart(9)}`,
)
const t0 = now_s
const row = (phase) => {
  const h = ((now_s - t0) / 3600).toFixed(2)
  console.log(
    `   ${phase.padEnd(10)} ${`${h} h`.padStart(9)} ${n('SELECT count(*) FROM conversations').toLocaleString('en-US').padStart(11)} ${n('SELECT count(*) FROM conv_series').toLocaleString('en-US').padStart(12)} ${hosts('SELECT count(*) FROM hosts').padStart(11)} ${hosts('SELECT count(*) FROM host_series').padStart(12)} ${mb(size()).padStart(10)} ${mb(live()).padStart(10)} ${mb(process.memoryUsage().rss).padStart(9)}`,
  )
}
const wall = performance.now()
for (let m = 1; m <= MINUTES; m++) {
  minuteOfChurn()
  if (m % 10 === 0) row('churn')
}
const peak = size()
// Retention: three days on, nothing new; maintenance runs as the writer would (in slices).
for (let h = 0; h < 72; h++) {
  now_s += 3600
  while (writer.maintain(now_s * 1000, true).more);
  if (h % 24 === 23) row('retention')
}
writer.flush()
for (let m = 1; m <= MINUTES; m++) {
  minuteOfChurn()
  if (m % 10 === 0) row('churn 2')
}
console.log(
  `   file after the second hour of churn: ${mb(size())} (first hour's peak ${mb(peak)}); ${((performance.now() - wall) / 1000).toFixed(0)} s wall`,
)
writer.close()
probe.close()
rmSync(dir, { recursive: true, force: true })
