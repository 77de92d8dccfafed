// Probe precision benchmark: `npm run build && node bench/probe-precision.mjs [--quick]`.
//
// 1. RTT error against a responder's known delay: UDP echo on loopback delaying every reply by
//    exactly 20 ms (test/fixtures/probes/responder.py), measured by the probe worker and, in the
//    same run, by a bare dgram loop in this process (the floor: no scheduler, no worker). As root,
//    also ICMP to a namespace peer answering after 10 ms, beside iputils ping.
// 2. Scheduler drift over 1,000 probes at 10 ms: the worker's launch lateness (absolute due
//    times), beside chained setTimeout(10) and setInterval(10) in this process.
// 3. Capacity: UDP echo targets at 1 s intervals in one worker, growing until launch lateness
//    p99 exceeds 5 ms (or a reply goes missing).
// Figures are printed; bench/README.md records a run. The machine is shared and noisy: compare
// columns measured in the same run, not runs with each other.
import { execFileSync, fork, spawn } from 'node:child_process'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const WORKER = join(ROOT, 'out/main/probe.js')
const RESPONDER = join(ROOT, 'test/fixtures/probes/responder.py')
const quick = process.argv.includes('--quick')

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mean = s.reduce((a, b) => a + b, 0) / s.length
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return { n: s.length, mean, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] }
}
const f = (x, d = 3) => (x === null || x === undefined ? '-' : x.toFixed(d))

function responder(args, ns) {
  const cmd = ['python3', RESPONDER, ...args]
  const child = ns ? spawn('ip', ['netns', 'exec', ns, ...cmd]) : spawn(cmd[0], cmd.slice(1))
  const lines = createInterface({ input: child.stdout })
  const ready = new Promise((resolve) =>
    lines.once('line', (l) => resolve(Number(l.split(' ')[1]))),
  )
  return { child, ready }
}

/** Runs the probe worker on specs; resolves with its results and lateness summary. */
function runWorker(specs, concurrency = 256) {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const results = []
    child.on('message', (m) => {
      if (m.type === 'results') results.push(...m.results)
      else if (m.type === 'fatal') reject(new Error(`${m.target}: ${m.message}`))
      else if (m.type === 'done') resolve({ results, lateness: m.lateness })
    })
    child.on('exit', (code, signal) =>
      reject(new Error(`probe worker exited (${signal ?? code}) before done`)),
    )
    child.send({ type: 'start', specs, concurrency })
  })
}

/** The floor: send / receive on a bare dgram socket, sequentially, timing with hrtime. */
async function bareUdp(port, count, interval_ms) {
  const s = dgram.createSocket('udp4')
  const rtts = []
  let pending = null
  s.on('message', () => {
    if (!pending) return
    rtts.push(Number(process.hrtime.bigint() - pending.t0) / 1e6)
    pending.done()
    pending = null
  })
  for (let i = 0; i < count; i++) {
    await new Promise((done) => {
      const t0 = process.hrtime.bigint()
      pending = { t0, done }
      s.send(Buffer.alloc(20, i & 0xff), port, '127.0.0.1')
      setTimeout(() => {
        if (pending?.t0 === t0) {
          pending = null
          done()
        }
      }, 1000)
    })
    await new Promise((r) => setTimeout(r, interval_ms))
  }
  s.close()
  return rtts
}

async function rttError() {
  const delay = 20
  const n = quick ? 50 : 200
  const r = responder([
    'udp-echo',
    '--host',
    '127.0.0.1',
    '--delay-min',
    `${delay}`,
    '--delay-max',
    `${delay}`,
  ])
  const port = await r.ready
  const ours = await runWorker([
    { target: `udp://127.0.0.1:${port}`, interval_ms: 25, timeout_ms: 1000, count: n },
  ])
  const bare = await bareUdp(port, n, 25)
  r.child.kill()
  const a = stats(ours.results.filter((x) => x.status === 'ok').map((x) => x.rtt_ms - delay))
  const b = stats(bare.map((x) => x - delay))
  console.log(`\n1. RTT error vs a known ${delay} ms UDP echo delay (loopback, n=${n}), ms`)
  console.log('   tool                    mean err   p50 err   p99 err   max err')
  console.log(
    `   flowscope udp://        ${f(a.mean).padStart(8)}  ${f(a.p50).padStart(8)}  ${f(a.p99).padStart(8)}  ${f(a.max).padStart(8)}`,
  )
  console.log(
    `   bare dgram loop (floor) ${f(b.mean).padStart(8)}  ${f(b.p50).padStart(8)}  ${f(b.p99).padStart(8)}  ${f(b.max).padStart(8)}`,
  )
  return { ours: a, bare: b }
}

async function icmpVsPing() {
  if (process.getuid?.() !== 0)
    return console.log('\n   (ICMP vs ping skipped: needs root for network namespaces)')
  const a = `fspbencha${process.pid}`
  const b = `fspbenchb${process.pid}`
  const ip = (...args) =>
    execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  const cleanup = () => {
    for (const ns of [a, b]) {
      try {
        ip('netns', 'del', ns)
      } catch {
        /* gone */
      }
    }
  }
  process.on('exit', cleanup)
  let resp = null
  try {
    ip('netns', 'add', a)
    ip('netns', 'add', b)
    ip(
      'link',
      'add',
      `fspbv${process.pid}`,
      'netns',
      a,
      'type',
      'veth',
      'peer',
      'name',
      `fspbw${process.pid}`,
      'netns',
      b,
    )
    ip('-n', a, 'addr', 'add', '10.202.0.1/24', 'dev', `fspbv${process.pid}`)
    ip('-n', b, 'addr', 'add', '10.202.0.2/24', 'dev', `fspbw${process.pid}`)
    ip('-n', a, 'link', 'set', `fspbv${process.pid}`, 'up')
    ip('-n', b, 'link', 'set', `fspbw${process.pid}`, 'up')
    ip('netns', 'exec', a, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1')
    resp = responder(['icmp-echo', '--delay-ms', '10'], a)
    await resp.ready
    const n = quick ? 30 : 100
    const run = (cmd) =>
      new Promise((resolve) => {
        let out = ''
        const c = spawn('ip', ['netns', 'exec', b, ...cmd])
        c.stdout.on('data', (d) => (out += d))
        c.on('close', () => resolve(out))
      })
    const [pingOut, oursOut] = await Promise.all([
      run(['ping', '-n', '-q', '-c', `${n}`, '-i', '0.05', '10.202.0.1']),
      run([
        process.execPath,
        join(ROOT, 'bin/flowscope.cjs'),
        'probe',
        'icmp://10.202.0.1',
        '--count',
        `${n}`,
        '--interval',
        '50',
        '--format',
        'json',
      ]),
    ])
    const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(pingOut)
    const o = JSON.parse(oursOut)[0]
    console.log(`\n   ICMP to a namespace peer answering after 10 ms (n=${n}, same run), ms`)
    console.log('   tool             min      avg      max      stddev/mdev')
    console.log(
      `   flowscope icmp   ${f(o.rtt_ms.min)}   ${f(o.rtt_ms.avg)}   ${f(o.rtt_ms.max)}   ${f(o.rtt_ms.stddev)}`,
    )
    if (m) console.log(`   iputils ping     ${m[1]}   ${m[2]}   ${m[3]}   ${m[4]}`)
    return { ours: o.rtt_ms, ping: m ? { min: +m[1], avg: +m[2], max: +m[3], mdev: +m[4] } : null }
  } finally {
    resp?.child.kill()
    cleanup()
  }
}

async function drift() {
  const n = 1000
  const interval = 10
  const r = responder(['udp-echo', '--host', '127.0.0.1'])
  const port = await r.ready
  const ours = await runWorker([
    { target: `udp://127.0.0.1:${port}`, interval_ms: interval, timeout_ms: 1000, count: n },
  ])
  r.child.kill()

  // Peer: chained setTimeout (each run scheduled from the previous one) accumulates lateness.
  const chained = await new Promise((resolve) => {
    const t0 = performance.now()
    const late = []
    let i = 0
    const step = () => {
      late.push(performance.now() - (t0 + i * interval))
      if (++i < n) setTimeout(step, interval)
      else resolve(late)
    }
    step()
  })
  // Peer: setInterval keeps its own cadence (libuv re-arms from the due time, rounded to ms).
  const interval_ = await new Promise((resolve) => {
    const t0 = performance.now()
    const late = []
    let i = 0
    const h = setInterval(() => {
      i++
      late.push(performance.now() - (t0 + i * interval))
      if (i === n) {
        clearInterval(h)
        resolve(late)
      }
    }, interval)
  })
  const c = stats(chained)
  const iv = stats(interval_)
  const L = ours.lateness
  console.log(
    `\n2. Scheduler drift over ${n} probes at ${interval} ms, lateness of each launch vs t0 + n*interval, ms`,
  )
  console.log('   scheduler                       mean      p99      max   last (= drift)')
  console.log(
    `   flowscope worker (t0+n*iv)   ${f(L.mean_ms).padStart(7)}  ${f(L.p99_ms).padStart(7)}  ${f(L.max_ms).padStart(7)}  ${f(L.last_ms).padStart(7)}`,
  )
  console.log(
    `   chained setTimeout(10)       ${f(c.mean).padStart(7)}  ${f(c.p99).padStart(7)}  ${f(c.max).padStart(7)}  ${f(chained.at(-1)).padStart(7)}`,
  )
  console.log(
    `   setInterval(10)              ${f(iv.mean).padStart(7)}  ${f(iv.p99).padStart(7)}  ${f(iv.max).padStart(7)}  ${f(interval_.at(-1)).padStart(7)}`,
  )
  return {
    ours: L,
    chained: { ...c, last: chained.at(-1) },
    setInterval: { ...iv, last: interval_.at(-1) },
  }
}

/** Samples this process's own timer lateness (setTimeout(1) overshoot) until stop(): machine noise. */
function noiseProbe() {
  const late = []
  let on = true
  const step = () => {
    const t = performance.now()
    setTimeout(() => {
      late.push(performance.now() - t - 1)
      if (on) step()
    }, 1)
  }
  step()
  return () => {
    on = false
    return stats(late)
  }
}

async function capacity() {
  const counts = quick ? [100, 500] : [250, 500, 1000, 2000, 4000]
  const base = 21000
  console.log('\n3. Targets at 1 s intervals in one worker (UDP echo on loopback, 5 rounds each)')
  console.log(
    '   "noise" = overshoot of setTimeout(1) in this bench process at the same time (the machine)',
  )
  console.log('   targets   probes   loss %   lateness mean    p99     max | noise p99  ms')
  const rows = []
  for (const n of counts) {
    const echo = fork(fileURLToPath(import.meta.url), ['--echo-ports', `${base}`, `${n}`], {
      stdio: 'ignore',
    })
    await new Promise((resolve, reject) => {
      echo.once('message', resolve)
      echo.once('exit', () => reject(new Error(`echo server for ${n} ports failed to start`)))
      setTimeout(
        () => reject(new Error(`echo server for ${n} ports: not ready after 30 s`)),
        30_000,
      ).unref()
    })
    const specs = Array.from({ length: n }, (_, i) => ({
      target: `udp://127.0.0.1:${base + i}`,
      interval_ms: 1000,
      timeout_ms: 1000,
      count: quick ? 3 : 5,
    }))
    const noise = noiseProbe()
    const { results, lateness } = await runWorker(specs, 1024)
    const machine = noise()
    echo.kill()
    await once(echo, 'exit') // its ports are free again before the next round binds them
    const lost = results.filter((r) => r.status !== 'ok').length
    const row = {
      targets: n,
      probes: results.length,
      loss_pct: (100 * lost) / results.length,
      ...lateness,
      noise_p99_ms: machine.p99,
    }
    rows.push(row)
    console.log(
      `   ${`${n}`.padStart(7)}  ${`${results.length}`.padStart(7)}  ${f(row.loss_pct, 2).padStart(7)}  ${f(lateness.mean_ms).padStart(13)}  ${f(lateness.p99_ms).padStart(6)}  ${f(lateness.max_ms).padStart(6)} | ${f(machine.p99).padStart(8)}`,
    )
    if (lateness.p99_ms > 50 || lost > 0) break
  }
  const ok = rows.filter((r) => r.p99_ms <= 5 && r.loss_pct === 0)
  console.log(
    `   → largest count with p99 lateness ≤ 5 ms and no loss: ${ok.length ? ok.at(-1).targets : 'none'}`,
  )
  return rows
}

async function main() {
  if (!existsSync(WORKER)) {
    console.error('bench/probe-precision: not built: run `npm run build` first')
    process.exit(2)
  }
  console.log(`Probe precision (node ${process.version}, ${new Date().toISOString()})`)
  await rttError()
  await icmpVsPing()
  await drift()
  await capacity()
}

// --echo-ports BASE N: a child that echoes on N consecutive UDP ports (capacity targets).
if (process.argv[2] === '--echo-ports') {
  const base = Number(process.argv[3])
  const n = Number(process.argv[4])
  let bound = 0
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4')
    s.on('message', (m, r) => s.send(m, r.port, r.address))
    s.on('error', (err) => {
      console.error(`echo port ${base + i}: ${err.message}`)
      process.exit(1)
    })
    s.bind(base + i, '127.0.0.1', () => {
      if (++bound === n) process.send?.('ready')
    })
  }
} else {
  await main()
}
