/* global window */
// Connections page cost at 1,000 and 10,000 concurrent conversations (issue 14 item 5), with
// iftop on the same traffic as the peer. Figures only, never a timed assertion.
//
// Two private network namespaces joined by a veth; in A: `flowscope serve --no-store`, a UDP
// sender (one socket, one 64-byte datagram per second to each of N ports of B) and Chromium on
// the Connections page capturing the veth. Measured per size:
//   - bytes per `capture.tick` WebSocket frame (CDP Network events, over 10 s before the timing)
//   - renderer main-thread time per tick: wall time of its tasks (CDP Performance TaskDuration,
//     which other load on the machine inflates) and its CPU time (ThreadTime), over ticks
//   - long tasks while the table is scrolled for 10 s (PerformanceObserver 'longtask')
//   - JS heap after a GC at the start and after FSC_BENCH_HEAP_MIN minutes (default 3)
//   - engine CPU: the serve process and its children (capture worker), from /proc, over 30 s
//   - iftop's CPU (`iftop -t -n -N -P`) on the same traffic over 30 s, afterwards
// Needs root, the build (`npx electron-vite build`), Debian's chromium; installs iftop with apt
// when missing. FSC_BENCH_SIZES=1000,10000 picks the sizes.
import { spawn } from 'node:child_process'
import { chmodSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import {
  conversationsNetns,
  cpuTicks,
  descendants,
  HZ,
  needRootAndIftop,
  serveUrl,
} from './lib/conversations-netns.mjs'

const SIZES = (process.env.FSC_BENCH_SIZES ?? '1000,10000').split(',').map(Number)
const HEAP_MIN = Number(process.env.FSC_BENCH_HEAP_MIN ?? 3)
const WINDOW_S = 30

needRootAndIftop('connections-ui')
const net = conversationsNetns('fcb', '10.148.0')
const { a: A, vethA: VA, addrB: ADDR_B, dir, sender } = net
const children = []
const inNs = (ns, cmd) => {
  const c = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(c)
  return c
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

const chromiumWrapper = join(dir, 'chromium.sh')
writeFileSync(chromiumWrapper, `#!/bin/sh\nexec ip netns exec ${A} /usr/bin/chromium "$@"\n`)
chmodSync(chromiumWrapper, 0o755)

/** Per thread of a process: [name, user ticks, system ticks]. */
function threadTicks(pid) {
  const out = new Map()
  let tids = []
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const t of tids) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      const name = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'))
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ')
      out.set(t, [name, Number(parts[11]), Number(parts[12])])
    } catch {
      // the thread ended meanwhile
    }
  }
  return out
}
/** Where a process's CPU went between two threadTicks: user/system, and its busiest threads. */
function threadDetail(a, b, s) {
  let user = 0
  let sys = 0
  const byName = new Map()
  for (const [t, [name, u, st]] of b) {
    const [, u0, s0] = a.get(t) ?? [name, 0, 0]
    user += u - u0
    sys += st - s0
    byName.set(name, (byName.get(name) ?? 0) + u - u0 + st - s0)
  }
  const top = [...byName]
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 4)
    .map(([n, v]) => `${n} ${pct(v, s)}`)
  return `user ${pct(user, s)} sys ${pct(sys, s)} [${top.join(', ')}]`
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (ticks, s) => ((ticks / HZ / s) * 100).toFixed(1)

async function startServe() {
  // FSC_BENCH_ENGINE_PROF=DIR: CPU profiles of serve and its workers (fork passes execArgv on).
  const prof = process.env.FSC_BENCH_ENGINE_PROF
  const serve = inNs(A, [
    process.execPath,
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    'bin/flowscope.cjs',
    'serve',
    '--port',
    '0',
    '--no-store',
  ])
  const url = await serveUrl(serve)
  // `ip netns exec` execs: the child's pid is serve's.
  return { serve, url }
}

/** FSC_BENCH_PROFILE=1: 10 s of the renderer's CPU profile, the top functions by self time. */
async function profile(cdp) {
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.start')
  await sleep(10_000)
  const { profile: p } = await cdp.send('Profiler.stop')
  // The whole profile too, for DevTools or a script (inclusive times, call trees).
  mkdirSync('bench/out', { recursive: true })
  writeFileSync('bench/out/connections-renderer.cpuprofile', JSON.stringify(p))
  const self = new Map()
  const dt = p.timeDeltas ?? []
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  p.samples.forEach((id, k) => {
    const n = byId.get(id)
    const name = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`
    self.set(name, (self.get(name) ?? 0) + (dt[k] ?? 0) / 1000)
  })
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)
  for (const [name, ms] of top) console.log(`  ${(ms / 10).toFixed(1).padStart(6)} ms/s  ${name}`)
}

/**
 * FSC_BENCH_TRACE=1: 5 s of a DevTools trace, the renderer main thread's time per tick by trace
 * event (self time: an event's duration less its children's), what Performance metrics lump
 * together as TaskDuration (paint, compositing, message handling, GC).
 */
async function trace(cdp, ticks) {
  const events = []
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value))
  const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r))
  await cdp.send('Tracing.start', {
    categories: 'toplevel,devtools.timeline,disabled-by-default-devtools.timeline,v8,blink,cc',
    transferMode: 'ReportEvents',
  })
  const t0 = await ticks()
  await sleep(5000)
  const n = (await ticks()) - t0
  await cdp.send('Tracing.end')
  await complete
  const main = events.find((e) => e.ph === 'M' && e.args?.name === 'CrRendererMain')
  const mine = events
    .filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur)
  const self = new Map()
  const count = new Map()
  const stack = []
  for (const e of mine) {
    count.set(e.name, (count.get(e.name) ?? 0) + 1)
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop()
    const parent = stack.at(-1)
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur)
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur)
    stack.push(e)
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)
  console.log(`  trace, renderer main thread per tick (${n} ticks):`)
  for (const [name, us] of top)
    console.log(
      `  ${(us / 1000 / (n || 1)).toFixed(2).padStart(7)} ms  ${name} (${((count.get(name) ?? 0) / (n || 1)).toFixed(1)} per tick)`,
    )
}

async function measure(n) {
  const send = inNs(A, [process.execPath, sender, ADDR_B, String(n)])
  const { serve, url } = await startServe()
  const browser = await chromium.launch({
    executablePath: chromiumWrapper,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  // Tick sizes come from DevTools' Network events while the table fills; the Network domain is
  // off while the page is timed (it copies every frame to DevTools on the renderer's main
  // thread). Ticks are counted in the page itself.
  await cdp.send('Network.enable')
  const sizes = []
  cdp.on('Network.webSocketFrameReceived', (e) => {
    const d = e.response.payloadData
    if (d.includes('"event":"capture.tick"')) sizes.push(Buffer.byteLength(d))
  })
  await page.addInitScript(() => {
    const Native = window.WebSocket
    window.__ticks = 0
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args)
        this.addEventListener('message', (e) => {
          if (typeof e.data === 'string' && e.data.includes('"event":"capture.tick"'))
            window.__ticks++
        })
      }
    }
  })
  const pageTicks = () => page.evaluate(() => window.__ticks)
  const errors = []
  const born = Date.now()
  let phase = 'start'
  page.on('console', (m) => {
    if (m.type() === 'error')
      errors.push(`${m.text()} (${phase}, ${((Date.now() - born) / 1000).toFixed(0)} s)`)
  })
  // Straight to Connections: no other page is ever mounted (a hidden Interfaces page still
  // draws its charts every second today, which is not this page's cost).
  await page.goto(`${url}#connections`)
  await page.getByTestId('capture-iface').selectOption(VA)
  await page.getByTestId('capture-toggle').click()
  await page.getByTestId('view-status').filter({ hasText: 'conversations in the table' }).waitFor()
  // Let the table fill (every port seen) and the 10 s windows settle.
  for (let i = 0; i < 60; i++) {
    const s = (await page.getByTestId('view-status').textContent()) ?? ''
    if (Number((/([\d,]+) conversations/.exec(s)?.[1] ?? '0').replace(/,/g, '')) >= n) break
    await sleep(1000)
  }
  const sized = sizes.length
  await sleep(10_000)
  await cdp.send('Network.disable')
  const tickSizes = sizes.slice(sized)
  const metrics = async () =>
    new Map((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
  const metric = async (name) => (await metrics()).get(name) ?? 0
  await cdp.send('HeapProfiler.collectGarbage')
  const heap0 = await metric('JSHeapUsedSize')

  // Steady state: main-thread time per tick, tick size, engine CPU.
  phase = 'steady'
  const pids = () => [serve.pid, ...descendants(serve.pid)]
  const before = new Map(pids().map((p) => [p, cpuTicks(p)]))
  const threadsBefore = new Map(pids().map((p) => [p, threadTicks(p)]))
  const m0 = await metrics()
  const tick0 = await pageTicks()
  await sleep(WINDOW_S * 1000)
  const m1 = await metrics()
  const [task0, task1] = [m0, m1].map((m) => m.get('TaskDuration') ?? 0)
  const [cpu0, cpu1] = [m0, m1].map((m) => m.get('ThreadTime') ?? 0)
  if (process.env.FSC_BENCH_PROFILE) await profile(cdp)
  if (process.env.FSC_BENCH_TRACE) await trace(cdp, pageTicks)
  const tickN = (await pageTicks()) - tick0
  let engine = 0
  const perPid = []
  for (const p of pids()) {
    const d = cpuTicks(p) - (before.get(p) ?? 0)
    engine += d
    const who = p === serve.pid ? 'host' : `child ${p}`
    const detail = threadDetail(threadsBefore.get(p) ?? new Map(), threadTicks(p), WINDOW_S)
    perPid.push(`${who} ${pct(d, WINDOW_S)}% (${detail})`)
  }

  // Scrolling: long tasks while the table moves by a screen every 50 ms for 10 s.
  await page.evaluate(() => {
    window.__long = []
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long.push(e.duration)
    }).observe({ type: 'longtask', buffered: false })
  })
  phase = 'scrolling'
  const scroller = page.getByTestId('conversation-scroller')
  const t0 = Date.now()
  while (Date.now() - t0 < 10_000) {
    await scroller.evaluate((el) => {
      el.scrollTop =
        el.scrollTop + 700 >= el.scrollHeight - el.clientHeight ? 0 : el.scrollTop + 700
    })
    await sleep(50)
  }
  const long = await page.evaluate(() => window.__long)

  phase = 'heap'
  // Heap after a few minutes of ticks.
  const rest = HEAP_MIN * 60_000 - (Date.now() - t0) - WINDOW_S * 1000
  if (rest > 0) await sleep(rest)
  await cdp.send('HeapProfiler.collectGarbage')
  const heap1 = await metric('JSHeapUsedSize')
  await browser.close()
  serve.kill('SIGTERM')
  await sleep(1000)

  // iftop on the same traffic, text mode, the same window.
  const iftop = inNs(A, ['iftop', '-t', '-n', '-N', '-P', '-i', VA, '-s', String(WINDOW_S + 10)])
  iftop.stdout.resume()
  await sleep(5000)
  const i0 = cpuTicks(iftop.pid)
  await sleep(WINDOW_S * 1000)
  const iftopTicks = cpuTicks(iftop.pid) - i0
  iftop.kill('SIGTERM')
  send.kill('SIGTERM')

  const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0)
  return {
    conversations: n,
    ticks: tickN,
    tick_bytes_mean: Math.round(mean(tickSizes)),
    tick_bytes_max: Math.max(0, ...tickSizes),
    main_thread_ms_per_tick: tickN ? (((task1 - task0) * 1000) / tickN).toFixed(2) : 'n/a',
    main_thread_cpu_ms_per_tick: tickN ? (((cpu1 - cpu0) * 1000) / tickN).toFixed(2) : 'n/a',
    // Where the task time goes (shares hold up better than times when the machine's speed drifts).
    main_thread_split: ['ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration']
      .map((k) => {
        const ms = (((m1.get(k) ?? 0) - (m0.get(k) ?? 0)) * 1000) / (tickN || 1)
        return `${k.replace('Duration', '')} ${ms.toFixed(2)} ms`
      })
      .join(', '),
    long_tasks_scrolling: long.length,
    longest_task_ms: Math.round(Math.max(0, ...long)),
    heap_mb_start: (heap0 / 1e6).toFixed(1),
    heap_mb_after: (heap1 / 1e6).toFixed(1),
    heap_minutes: HEAP_MIN,
    engine_cpu_pct: pct(engine, WINDOW_S),
    engine_cpu_detail: perPid.join('; '),
    iftop_cpu_pct: pct(iftopTicks, WINDOW_S),
    console_errors: errors.length
      ? `${errors.length}: ${[...new Set(errors)].slice(0, 3).join(' | ')}`
      : 0,
  }
}

const results = []
for (const n of SIZES) {
  console.log(`\n--- ${n} conversations ---`)
  const r = await measure(n)
  results.push(r)
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(26)} ${v}`)
}
mkdirSync('bench/out', { recursive: true })
writeFileSync('bench/out/connections-ui.json', JSON.stringify(results, null, 2))
console.log('\ngoals: < 16 ms main thread per tick, < 50 KB per tick, no long task > 50 ms while')
console.log('scrolling, heap flat, engine CPU below iftop at both sizes')
