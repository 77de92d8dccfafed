// Live ticks while history queries run (issue 8): starts `flowscope serve --db MONTH` (a synthetic
// month, e.g. the one `node bench/store.bench.mjs --keep` leaves), connects a WebSocket client,
// runs the heaviest history queries one after another, and prints the longest gap between
// `bandwidth.tick` events the client saw (tick 1 s; goal <= 1.1 s).
//
//   node bench/store-tickgap.bench.mjs --db /tmp/fss-bench-XXXX/month.db [--root DIR] [--rounds N]
//
// --root: the checkout whose build to run (default this one), so the same script measures main's
// build ("before") and this branch's ("after") against the same file.
import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]
}
const root = resolve(opt('root', join(here, '..')))
const db = opt('db')
const rounds = Number(opt('rounds', 2))
if (!db) {
  // npm run bench runs every script without arguments: say what this one needs, as a skip.
  console.log(
    'store-tickgap bench skipped: give --db PATH (a synthetic month: node bench/store.bench.mjs --keep)',
  )
  process.exit(0)
}
const WebSocket = require('ws')

const child = spawn(
  process.execPath,
  [join(root, 'bin', 'flowscope.cjs'), 'serve', '--port', '0', '--db', db],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const url = await new Promise((ok, fail) => {
  let text = ''
  child.stdout.on('data', (d) => {
    text += d
    const m = /serving at (http:\/\/\S+)/.exec(text)
    if (m) ok(m[1])
  })
  child.once('exit', (code) => fail(new Error(`serve exited ${code}`)))
})
const u = new URL(url)
const ws = new WebSocket(`ws://${u.host}/api/ws?token=${u.searchParams.get('token')}`, {
  headers: { origin: `http://${u.host}` },
})
await new Promise((ok, fail) => ws.once('open', ok).once('error', fail))

const ticks = []
let nextId = 1
const pending = new Map()
ws.on('message', (data) => {
  const msg = JSON.parse(String(data))
  if (msg.kind === 'event' && msg.event === 'bandwidth.tick') ticks.push(performance.now())
  if (msg.kind === 'response') pending.get(msg.id)?.(msg)
})
const call = (method, params) =>
  new Promise((ok) => {
    const id = nextId++
    pending.set(id, ok)
    ws.send(JSON.stringify({ id, method, params }))
  })

const now_s = Math.floor(Date.now() / 1000)
const QUERIES = [
  ['30 days by host, top 10', { from_s: now_s - 30 * 86400, to_s: now_s, by: 'host', top: 10 }],
  [
    '30 days by conversation, top 10',
    { from_s: now_s - 30 * 86400, to_s: now_s, by: 'conversation', top: 10 },
  ],
  ['30 days by protocol', { from_s: now_s - 30 * 86400, to_s: now_s, by: 'protocol', top: 10 }],
  [
    '24 h by conversation, top 10',
    { from_s: now_s - 86400, to_s: now_s, by: 'conversation', top: 10 },
  ],
  [
    '24 h by host, 10 s buckets, top 10',
    { from_s: now_s - 86400, to_s: now_s, by: 'host', bucket: '10s', top: 10 },
  ],
]
// Let the server settle (migrations, first ticks) before measuring.
while (ticks.length < 3) await new Promise((r) => setTimeout(r, 100))
const start = performance.now()
const t0Ticks = ticks.length
console.log(
  `tick gap while queries run: ${root === resolve(here, '..') ? 'this build' : root}, ${db}`,
)
for (let r = 0; r < rounds; r++) {
  for (const [label, q] of QUERIES) {
    const t0 = performance.now()
    const res = await call('history.query', q)
    const ms = performance.now() - t0
    const r = res.result
    const rows = r?.ok ? r.value.rows.length : `error ${r?.code ?? ''} ${r?.message ?? ''}`
    console.log(`   ${label.padEnd(36)} ${ms.toFixed(0).padStart(6)} ms  ${rows} rows`)
  }
}
const end = performance.now()
await new Promise((r) => setTimeout(r, 1500)) // the tick after the last query
const seen = ticks.filter((t) => t >= start - 1000)
let longest = 0
for (let i = 1; i < seen.length; i++) longest = Math.max(longest, seen[i] - seen[i - 1])
console.log(
  `   ${ticks.length - t0Ticks} ticks over ${((end - start) / 1000).toFixed(1)} s of queries; longest gap between bandwidth.tick: ${(longest / 1000).toFixed(2)} s (tick 1 s, goal <= 1.1 s)`,
)
ws.close()
child.kill('SIGINT')
await new Promise((r) => child.once('exit', r))
