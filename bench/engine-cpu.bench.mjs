// Engine CPU without a browser, beside iftop: `flowscope serve --no-store` in a namespace captures
// a veth carrying N concurrent UDP conversations (one 64-byte datagram per second each), with one
// WebSocket client that set a Connections view; CPU of serve, its capture worker and the capture
// helper from /proc over WINDOW_S, then iftop's on the same traffic. Figures only.
//
//   FSC_BENCH_SIZES=1000,10000   conversations (default 1000)
//   FSC_BENCH_CHECKOUTS=DIR,...  built checkouts to measure in turn, e.g. this one beside an older
//                                one (`git worktree add`, npm run build:native, electron-vite
//                                build): alternate them, since a shared machine drifts
//   FSC_BENCH_VIEW=0             a client without a view; FSC_BENCH_WINDOW_S (default 20)
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
} from './lib/conversations-netns.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SIZES = (process.env.FSC_BENCH_SIZES ?? '1000').split(',').map(Number)
const CHECKOUTS = (process.env.FSC_BENCH_CHECKOUTS ?? root).split(',').map((d) => resolve(d))
const VIEW = process.env.FSC_BENCH_VIEW !== '0'
const WINDOW_S = Number(process.env.FSC_BENCH_WINDOW_S ?? 20)

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
process.on('SIGTERM', () => { console.log(JSON.stringify({ ticks, bytes })); process.exit(0) })
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

async function engine(checkout) {
  const serve = inNs(
    [process.execPath, 'bin/flowscope.cjs', 'serve', '--port', '0', '--no-store'],
    {
      cwd: checkout,
    },
  )
  const url = await new Promise((res, rej) => {
    let out = ''
    serve.stdout.on('data', (d) => {
      out += d
      const m = /(http:\/\/\S+)/.exec(out)
      if (m) res(m[1])
    })
    serve.on('exit', (c) => rej(new Error(`serve exited ${c}`)))
  })
  const ws = inNs([process.execPath, client, url, VA, VIEW ? '1' : '0'])
  let report = ''
  ws.stdout.on('data', (d) => (report += d))
  await sleep(15_000) // every conversation seen, windows settled
  const pids = [serve.pid, ...descendants(serve.pid)]
  const before = pids.map(cpuTicks)
  await sleep(WINDOW_S * 1000)
  const used = pids.map((p, i) => cpuTicks(p) - before[i])
  ws.kill('SIGTERM')
  await exited(ws)
  serve.kill('SIGTERM')
  await exited(serve)
  const { ticks, bytes } = JSON.parse(report || '{"ticks":0,"bytes":0}')
  const names = ['host', 'worker', 'helper']
  return {
    total: pct(used.reduce((a, b) => a + b, 0)),
    detail: used.map((u, i) => `${names[i] ?? pids[i]} ${pct(u)}`).join(', '),
    tickBytes: ticks ? Math.round(bytes / ticks) : 0,
  }
}

async function iftop() {
  const c = inNs(['iftop', '-t', '-n', '-N', '-P', '-i', VA, '-s', String(WINDOW_S + 8)])
  c.stdout.resume()
  await sleep(4000)
  const t0 = cpuTicks(c.pid)
  await sleep(WINDOW_S * 1000)
  const used = cpuTicks(c.pid) - t0
  c.kill('SIGTERM')
  return pct(used)
}

for (const n of SIZES) {
  const send = inNs([process.execPath, sender, ADDR_B, String(n)])
  console.log(
    `\n--- ${n} conversations, ${VIEW ? 'a client with a view' : 'a client without a view'} ---`,
  )
  for (const checkout of CHECKOUTS) {
    const r = await engine(checkout)
    console.log(
      `${checkout}: engine ${r.total} % (${r.detail}), ${r.tickBytes} bytes per tick to the client`,
    )
  }
  console.log(`iftop: ${await iftop()} %`)
  send.kill('SIGTERM')
}
