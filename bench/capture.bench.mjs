// Capture benchmark (needs root, the build, mkpcap.sh, tcpdump, tshark, capinfos, iperf3):
// 1. file: a ~650k-packet mkpcap.sh capture (snap length 128), best of 3, runs interleaved:
//    `flowscope analyze FILE --format csv --out /dev/null` vs `tcpdump -r FILE -w /dev/null`
//    (the read limit) and `tshark -r FILE -q -z conv,tcp` (the peer).
//    Targets: >= 10x faster than tshark, within 5x of tcpdump.
// 2. live: iperf3 pushes what a veth pair carries (two TCP streams, offloads off) inside our own
//    namespaces while `flowscope capture` (full aggregation) and tcpdump capture the same veth.
//    Target: flowscope drops 0 packets and counts the same packets as tcpdump.
// Figures go to stdout and bench/out/capture.json. FSC_BENCH_PCAP=FILE reuses a capture.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'bin', 'flowscope.cjs')
const mkpcap = resolve(root, '..', 'shared', 'tools', 'mkpcap.sh')

function why() {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, live capture)'
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) return 'not built (npm run build)'
  if (!existsSync(mkpcap)) return `${mkpcap} not found`
  for (const t of ['tcpdump', 'tshark', 'capinfos', 'iperf3', 'ethtool']) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} not installed`
  }
  return null
}
const reason = why()
if (reason) {
  console.log(`capture bench skipped: ${reason}`)
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'fsc-bench-'))
const nsA = `fscba${process.pid}`
const nsB = `fscbb${process.pid}`
function cleanup() {
  for (const ns of [nsA, nsB]) {
    for (const pid of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout?.split('\n')
      .filter(Boolean) ?? []) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
  }
  rmSync(dir, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

const count = (file) =>
  Number(
    /Number of packets:\s+(\d+)/.exec(
      execFileSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' }),
    )[1],
  )

// --- 1. file ---------------------------------------------------------------------------------
function makeCapture() {
  if (process.env.FSC_BENCH_PCAP) return process.env.FSC_BENCH_PCAP
  const file = join(dir, 'bench.pcap')
  let rateM = 180
  for (let attempt = 0; attempt < 3; attempt++) {
    execFileSync('bash', [mkpcap, file, '10', `${rateM}M`, '128'], { stdio: 'ignore' })
    const n = count(file)
    console.log(`mkpcap.sh 10 s at ${rateM}M per stream: ${n} packets`)
    if (n >= 550_000 && n <= 800_000) return file
    rateM = Math.max(10, Math.round((rateM * 650_000) / Math.max(n, 1)))
  }
  return file
}

function time(cmd, args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  })
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  return s
}

const file = makeCapture()
const packets = count(file)
const runs = {
  flowscope: [process.execPath, [cli, 'analyze', file, '--format', 'csv', '--out', '/dev/null']],
  tcpdump: ['tcpdump', ['-r', file, '-w', '/dev/null']],
  tshark: ['tshark', ['-r', file, '-q', '-z', 'conv,tcp']],
}
const best = { flowscope: Infinity, tcpdump: Infinity, tshark: Infinity }
for (let i = 0; i < 3; i++) {
  for (const [name, [cmd, args]] of Object.entries(runs))
    best[name] = Math.min(best[name], time(cmd, args))
}
const vsTshark = best.tshark / best.flowscope
const vsTcpdump = best.flowscope / best.tcpdump
const fileRows = [
  ['flowscope analyze --format csv', best.flowscope, '1.00x', ''],
  [
    'tcpdump -r FILE -w /dev/null',
    best.tcpdump,
    `flowscope ${vsTcpdump.toFixed(2)}x slower`,
    `<= 5x: ${vsTcpdump <= 5 ? 'met' : 'NOT met'}`,
  ],
  [
    'tshark -q -z conv,tcp',
    best.tshark,
    `flowscope ${vsTshark.toFixed(1)}x faster`,
    `>= 10x: ${vsTshark >= 10 ? 'met' : 'NOT met'}`,
  ],
]
console.log(
  `\nfile: ${packets} packets, snap length 128, best of 3 (wall clock, interleaved runs); load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs`,
)
for (const [name, s, ratio, target] of fileRows)
  console.log(`  ${name.padEnd(32)} ${s.toFixed(3).padStart(7)} s  ${ratio.padEnd(26)} ${target}`)

// --- 2. live ---------------------------------------------------------------------------------
const ip = (...args) => execFileSync('ip', args, { stdio: 'ignore' })
const vA = `fscb${process.pid}a`
const vB = `fscb${process.pid}b`
ip('netns', 'add', nsA)
ip('netns', 'add', nsB)
ip('link', 'add', vA, 'netns', nsA, 'type', 'veth', 'peer', 'name', vB, 'netns', nsB)
for (const [ns, dev, addr] of [
  [nsA, vA, '10.78.0.1/24'],
  [nsB, vB, '10.78.0.2/24'],
]) {
  // No IPv6 on this pair: its background (router solicitations, MLD) could fall outside one window.
  spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`], {
    stdio: 'ignore',
  })
  ip('-n', ns, 'addr', 'add', addr, 'dev', dev)
  ip('-n', ns, 'link', 'set', dev, 'up')
  ip('-n', ns, 'link', 'set', 'lo', 'up')
  spawnSync(
    'ip',
    ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off'],
    { stdio: 'ignore' },
  )
}
const inA = (cmd) => ['ip', ['netns', 'exec', nsA, ...cmd]]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const collect = (child) => {
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  return new Promise((res) => child.on('close', (code) => res({ code, err })))
}

const protoJson = join(dir, 'live-protocols.json')
execFileSync('ip', ['netns', 'exec', nsB, 'iperf3', '-s', '-D', '-1', '-p', '5201'])
// tcpdump gets the same 32 MiB kernel buffer as flowscope, so the two compare like for like.
const tcpdump = spawn(
  ...inA(['tcpdump', '-i', vA, '-s', '128', '-B', '32768', '-n', '-w', '/dev/null']),
  {
    stdio: ['ignore', 'ignore', 'pipe'],
  },
)
const tcpdumpDone = collect(tcpdump)
await sleep(1000)
const flowscope = spawn(
  ...inA([
    process.execPath,
    cli,
    'capture',
    '-i',
    vA,
    '--duration',
    '12',
    '--by',
    'protocol',
    '--format',
    'json',
    '--out',
    protoJson,
  ]),
  { stdio: ['ignore', 'ignore', 'pipe'] },
)
const flowscopeDone = collect(flowscope)
await sleep(1500)
const iperf = JSON.parse(
  execFileSync(
    'ip',
    ['netns', 'exec', nsA, 'iperf3', '-c', '10.78.0.2', '-p', '5201', '-P', '2', '-t', '8', '-J'],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  ),
)
const fs = await flowscopeDone
tcpdump.kill('SIGINT')
const td = await tcpdumpDone
const gbps = iperf.end.sum_received.bits_per_second / 1e9
const m =
  /([\d,]+) packets received by filter, ([\d,]+) dropped by kernel, ([\d,]+) dropped by interface/.exec(
    fs.err,
  )
const num = (s) => Number(String(s).replace(/,/g, ''))
const fsCounted = JSON.parse(readFileSync(protoJson, 'utf8')).reduce((s, r) => s + r.packets, 0)
const tdCaptured = num(/(\d+) packets captured/.exec(td.err)?.[1])
const tdDropped = num(/(\d+) packets dropped by kernel/.exec(td.err)?.[1])
const live = {
  iperf3_gbit_s: gbps,
  flowscope: {
    counted: fsCounted,
    received: m ? num(m[1]) : null,
    dropped_kernel: m ? num(m[2]) : null,
    dropped_interface: m ? num(m[3]) : null,
  },
  tcpdump: { captured: tdCaptured, dropped_kernel: tdDropped },
}
console.log(
  `\nlive: iperf3 2 TCP streams over a veth (offloads off), ${gbps.toFixed(2)} Gbit/s, captured side by side`,
)
console.log(
  `  flowscope capture (full aggregation)  counted ${fsCounted}  dropped by kernel ${live.flowscope.dropped_kernel}  (received by filter ${live.flowscope.received})`,
)
console.log(
  `  tcpdump -s 128 -B 32768 -w /dev/null   captured ${tdCaptured}  dropped by kernel ${tdDropped}`,
)
const liveMet = live.flowscope.dropped_kernel === 0 && fsCounted === tdCaptured
console.log(`  target (0 drops, same count as tcpdump): ${liveMet ? 'met' : 'NOT met'}`)

const out = join(root, 'bench', 'out')
mkdirSync(out, { recursive: true })
writeFileSync(
  join(out, 'capture.json'),
  JSON.stringify(
    {
      when: new Date().toISOString(),
      file: {
        packets,
        best_s: best,
        flowscope_vs_tcpdump: vsTcpdump,
        tshark_vs_flowscope: vsTshark,
      },
      live,
    },
    null,
    2,
  ),
)
