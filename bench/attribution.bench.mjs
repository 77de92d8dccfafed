// "Who is talking" benchmark (root; run `npm run build` first): node bench/attribution.bench.mjs
// [--sockets N]. In a fresh network namespace it opens N sockets on loopback (N/2 TCP
// connections, client and server ends, in one helper process), then measures, on this machine
// and in this run:
//  1. start-up cost of the lookup tables (DB-IP country database, the build-time AS table,
//     the IANA service table);
//  2. attribution cost per tick: a refresh with every owner known (socket tables only), a cold
//     refresh (tables + walk of every /proc/PID/fd), and annotating N/2 conversation records;
//  3. side by side, the peers that answer "which process owns which socket" for the same sockets:
//     `ss -tunap` (iproute2, netlink sock_diag) and systeminformation's networkConnections().
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer, connect } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const SOCKETS = arg('sockets', 10000)
const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`

async function time(fn, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

// --- the socket holder (runs inside the namespace, raised fd limit) ------------------------------
if (process.argv.includes('--hold')) {
  const pairs = SOCKETS / 2
  const server = createServer(() => {}).listen(7400, '127.0.0.1', async () => {
    const clients = []
    for (let i = 0; i < pairs; i++) {
      await new Promise((res, rej) => {
        const c = connect(7400, '127.0.0.1', res)
        c.on('error', rej)
        clients.push(c)
      })
    }
    process.stdout.write('ready\n')
  })
  server.on('error', (e) => {
    console.error(e)
    process.exit(1)
  })
  setInterval(() => {}, 1 << 30)
} else if (process.argv.includes('--inside')) {
  await inside()
} else {
  outside()
}

function outside() {
  if (process.getuid?.() !== 0) {
    console.log('attribution bench skipped: needs root (creates a network namespace)')
    process.exit(0)
  }
  const ns = `fsbattr${process.pid}`
  spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' })
  try {
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        fileURLToPath(import.meta.url),
        '--inside',
        '--sockets',
        String(SOCKETS),
      ],
      { stdio: 'inherit' },
    )
    process.exitCode = r.status ?? 1
  } finally {
    spawnSync('ip', ['netns', 'del', ns])
  }
}

async function inside() {
  let attribution
  try {
    attribution = require(join(here, '..', 'out', 'main', 'attribution.js'))
  } catch {
    console.error('attribution.bench: run `npm run build` first (needs out/main/attribution.js)')
    process.exit(2)
  }
  spawnSync('ip', ['link', 'set', 'lo', 'up'])

  // 1. start-up
  const t0 = performance.now()
  const geo = new attribution.Geo()
  const { countryMs, asnMs } = geo.load()
  const t1 = performance.now()
  attribution.serviceName('tcp', 443)
  const serviceMs = performance.now() - t1
  console.log(
    `start-up: country database ${fmt(countryMs)}, AS table ${fmt(asnMs)}, IANA service table ${fmt(serviceMs)} (total ${fmt(performance.now() - t0)})`,
  )
  const lookupMs = await time(() => {
    for (let i = 0; i < 10000; i++) geo.lookup(`${1 + (i % 200)}.${i % 256}.${(i * 7) % 256}.9`)
  }, 3)
  console.log(
    `country+AS lookups: ${((lookupMs / 10000) * 1000).toFixed(2)} µs each (median of 3 passes over 10,000 addresses; the first pass fills the cache)`,
  )

  // The sockets.
  const holder = spawn(
    'sh',
    [
      '-c',
      `ulimit -n ${SOCKETS + 1024} && exec "$0" "$@"`,
      process.execPath,
      fileURLToPath(import.meta.url),
      '--hold',
      '--sockets',
      String(SOCKETS),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise((res, rej) => {
    holder.stdout.on('data', (d) => d.toString().includes('ready') && res())
    holder.on('exit', (c) => rej(new Error(`socket holder exited (${c})`)))
  })
  try {
    const table = spawnSync('ss', ['-tanH'], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout
    const count = table.split('\n').filter(Boolean).length
    console.log(
      `\n${count.toLocaleString('en-US')} TCP sockets in the namespace (${SOCKETS / 2} connections, both ends, + the listener)`,
    )

    // 2. per tick
    const { ProcessAttributor } = attribution
    const warm = new ProcessAttributor()
    warm.refresh()
    const known = await time(() => warm.refresh(), 10)
    const cold = await time(() => new ProcessAttributor().refresh(), 5)
    // Conversation records as the capture would make them.
    const conns = table
      .split('\n')
      .filter((l) => l.startsWith('ESTAB'))
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3].endsWith(':7400') === false)
      .map((f) => {
        const [la, lp] = [
          f[3].slice(0, f[3].lastIndexOf(':')),
          Number(f[3].slice(f[3].lastIndexOf(':') + 1)),
        ]
        const [ra, rp] = [
          f[4].slice(0, f[4].lastIndexOf(':')),
          Number(f[4].slice(f[4].lastIndexOf(':') + 1)),
        ]
        return {
          protocol: 'tcp',
          address_a: la,
          port_a: lp,
          address_b: ra,
          port_b: rp,
          packets_a_to_b: 1,
          bytes_a_to_b: 60,
          packets_b_to_a: 1,
          bytes_b_to_a: 60,
          first_seen_us: 1,
          last_seen_us: 1,
          retransmissions: 0,
          handshake_rtt_ms: null,
          rate_a_to_b_bps: { s2: 0, s10: 0, s40: 0 },
          rate_b_to_a_bps: { s2: 0, s10: 0, s40: 0 },
          peak_a_to_b_bps: 0,
          peak_b_to_a_bps: 0,
        }
      })
    const a = new attribution.Attribution({ processes: {} })
    a.tick()
    const first = a.annotate(conns) // includes the one refresh this tick allows
    const named = first.filter((r) => r.process === 'node').length
    const annotate = await time(() => {
      a.tick()
      a.annotate(conns)
    }, 10)
    console.log(`attribution per tick:`)
    console.log(`  refresh, every owner known (socket tables only):   ${fmt(known)}`)
    console.log(`  refresh, cold (socket tables + every /proc/PID/fd): ${fmt(cold)}`)
    console.log(
      `  annotate ${conns.length.toLocaleString('en-US')} conversations (process, service, country, AS): ${fmt(annotate)}; ${named} of ${conns.length} named`,
    )

    // 3. peers
    const ss = await time(() => {
      const r = spawnSync('ss', ['-tunap'], { maxBuffer: 1 << 27 })
      if (r.status !== 0) throw new Error('ss failed')
    }, 5)
    let si = null
    try {
      const systeminformation = require('systeminformation')
      si = await time(() => systeminformation.networkConnections(), 2)
    } catch (err) {
      console.log(`systeminformation: not measured (${err.message})`)
    }
    console.log(`peers, same sockets, same machine:`)
    console.log(`  ss -tunap (iproute2, process spawn included):       ${fmt(ss)}`)
    if (si !== null) console.log(`  systeminformation networkConnections():             ${fmt(si)}`)
    console.log(
      `ratios: cold refresh / ss = ${(cold / ss).toFixed(2)}, warm refresh / ss = ${(known / ss).toFixed(2)}${si !== null ? `, cold refresh / systeminformation = ${(cold / si).toFixed(3)}` : ''}`,
    )
  } finally {
    holder.kill('SIGKILL')
  }
}
