// Engine CPU without a browser, beside iftop: `flowscope serve --no-store` in a namespace captures
// a veth carrying N concurrent UDP conversations (one 64-byte datagram per second each), with one
// WebSocket client that set a Connections view; CPU of serve, its capture worker and the capture
// helper from /proc over WINDOW_S, with iftop on the same traffic in the same window. Figures only.
//
//   FSC_BENCH_SIZES=1000,10000   conversations (default 1000)
//   FSC_BENCH_CHECKOUTS=DIR,...  built checkouts measured side by side in the same window, e.g.
//                                this one beside an older one (`git worktree add`, npm run
//                                build:native, electron-vite build)
//   FSC_BENCH_VIEW=0             a client without a view; FSC_BENCH_WINDOW_S (default 60);
//   FSC_BENCH_ROUNDS (default 1)
// Needs root, the build; installs iftop with apt when missing.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import {
  conversationsNetns,
  cpuTicks,
  descendants,
  HZ,
  needRootAndIftop,
  serveUrl,
} from './lib/conversations-netns.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SIZES = (process.env.FSC_BENCH_SIZES ?? '1000').split(',').map(Number)
const CHECKOUTS = (process.env.FSC_BENCH_CHECKOUTS ?? root).split(',').map((d) => resolve(d))
const VIEW = process.env.FSC_BENCH_VIEW !== '0'
const WINDOW_S = Number(process.env.FSC_BENCH_WINDOW_S ?? 60)

needRootAndIftop('engine-cpu')
const net = conversationsNetns('fce', '10.149.0')
const { a: A, vethA: VA, addrB: ADDR_B, dir, sender } = net
const children = []
const inNs = (cmd, opts = {}) => {
  const c = spawn('ip', ['netns', 'exec', A, ...cmd], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...opts,
  })
  children.push(c)
  return c
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})
// The WebSocket client runs inside the namespace too (serve listens on its loopback).
const client = join(dir, 'client.mjs')
writeFileSync(
  client,
  `import WebSocket from ${JSON.stringify(import.meta.resolve('ws'))}
const [url, iface, view] = process.argv.slice(2)
const u = new URL(url)
const token = new URLSearchParams(url.split(/[?#]/).slice(1).join('&')).get('token')
const ws = new WebSocket(\`ws://\${u.host}/api/ws?token=\${encodeURIComponent(token)}\`, { origin: \`http://\${u.host}\` })
let id = 1
const call = (method, params) => ws.send(JSON.stringify({ id: id++, method, params }))
ws.on('open', () => {
  call('capture.start', { iface })
  if (view === '1') call('capture.view', { sort: 'rate10', descending: true, filter: '', group: 'conversation', ports: true, offset: 0, limit: 54, pinned: null, selected: null })
})
let ticks = 0
let bytes = 0
ws.on('message', (d) => { if (String(d).includes('"event":"capture.tick"')) { ticks++; bytes += d.length } })
// Told to stop, or closed by serve stopping: either way the counts are printed.
const report = () => { console.log(JSON.stringify({ ticks, bytes })); process.exit(0) }
ws.on('close', report)
process.on('SIGTERM', report)
`,
)
void WebSocket // resolved above for the client; imported so a missing package fails here

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** Resolves once the child has exited and its output was read (at once if that happened). */
const exited = (c) =>
  (c.exitCode !== null || c.signalCode !== null) && c.stdout?.readableEnded !== false
    ? Promise.resolve()
    : new Promise((r) => c.once('close', r))
const pct = (ticks) => ((ticks / HZ / WINDOW_S) * 100).toFixed(2)

/** Starts serve from `checkout` and its client with a view; resolves once serve is listening. */
async function startEngine(checkout) {
  const serve = inNs(
    [process.execPath, 'bin/flowscope.cjs', 'serve', '--port', '0', '--no-store'],
    {
      cwd: checkout,
    },
  )
  const url = await serveUrl(serve)
  const ws = inNs([process.execPath, client, url, VA, VIEW ? '1' : '0'])
  let report = ''
  ws.stdout.on('data', (d) => (report += d))
  return { checkout, serve, ws, report: () => report }
}

async function stopEngine(e) {
  e.ws.kill('SIGTERM')
  await exited(e.ws)
  e.serve.kill('SIGTERM')
  await exited(e.serve)
  if (!e.report())
    console.log(
      `no report from the client of ${e.checkout} (exit ${e.ws.exitCode} ${e.ws.signalCode})`,
    )
  const { ticks, bytes } = JSON.parse(e.report() || '{"ticks":0,"bytes":0}')
  return ticks ? Math.round(bytes / ticks) : 0
}

/** CPU ticks of each process now (serve, its worker, the helper: all below serve). */
const engineTicks = (e) => [e.serve.pid, ...descendants(e.serve.pid)].map(cpuTicks)

/**
 * Every checkout's engine and iftop run at the same time on the same traffic, measured over the
 * same window: a shared machine's speed drifts by 2-3x within minutes, which sequential runs
 * mistake for differences. Two cores hold them all (each takes a few per cent of one).
 */
async function together() {
  const engines = []
  for (const c of CHECKOUTS) engines.push(await startEngine(c))
  const top = inNs(['iftop', '-t', '-n', '-N', '-P', '-i', VA, '-s', String(WINDOW_S + 30)])
  top.stdout.resume()
  await sleep(15_000) // every conversation seen, windows settled
  const before = engines.map(engineTicks)
  const topBefore = cpuTicks(top.pid)
  await sleep(WINDOW_S * 1000)
  const used = engines.map((e, i) => engineTicks(e).map((t, k) => t - (before[i][k] ?? t)))
  const topUsed = cpuTicks(top.pid) - topBefore
  top.kill('SIGTERM')
  const names = ['host', 'worker', 'helper']
  const rows = []
  for (const [i, e] of engines.entries()) {
    const tickBytes = await stopEngine(e)
    rows.push({
      checkout: e.checkout,
      total: pct(used[i].reduce((a, b) => a + b, 0)),
      detail: used[i].map((u, k) => `${names[k] ?? k} ${pct(u)}`).join(', '),
      tickBytes,
    })
  }
  return { rows, iftop: pct(topUsed) }
}

const ROUNDS = Number(process.env.FSC_BENCH_ROUNDS ?? 1)
for (const n of SIZES) {
  const send = inNs([process.execPath, sender, ADDR_B, String(n)])
  console.log(
    `\n--- ${n} conversations, ${VIEW ? 'a client with a view' : 'a client without a view'}, ${WINDOW_S} s ---`,
  )
  for (let r = 1; r <= ROUNDS; r++) {
    const { rows, iftop } = await together()
    for (const e of rows)
      console.log(
        `${e.checkout}: engine ${e.total} % (${e.detail}), ${e.tickBytes} bytes per tick to the client`,
      )
    console.log(`iftop, same window: ${iftop} %`)
  }
  send.kill('SIGTERM')
}
