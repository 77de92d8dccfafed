#!/usr/bin/env node
// Cost of flow export (IPFIX over UDP to a loopback receiver), measured in the same run as its
// peers on the same file:
//   node bench/flowexport.bench.mjs FILE.pcap [ROUNDS]
// 1. In memory (records held, no file I/O), best of ROUNDS, ns/packet: the Aggregator alone
//    (plain analysis) and the Aggregator with a FlowExporter attached (per-direction counters,
//    timeouts, encoding, sends).
// 2. Whole processes reading the file, best of ROUNDS, wall time: `flowscope analyze FILE`,
//    `flowscope analyze FILE --export ipfix://...` (needs `npx electron-vite build`) and
//    `softflowd -r FILE -v 10` to the same receiver.
import { build } from 'rolldown'
import { spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const file = process.argv[2]
const rounds = Number(process.argv[3] ?? 5)
if (!file) {
  // npm run bench runs every script without arguments: say what this one needs, as a skip.
  console.log(
    'flowexport bench skipped: give a capture: node bench/flowexport.bench.mjs FILE.pcap [ROUNDS]',
  )
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'fsd-bench-'))
const entry = join(dir, 'entry.ts')
const src = (p) => JSON.stringify(join(root, p))
writeFileSync(
  entry,
  `export { Aggregator } from ${src('electron/shared/flows/aggregator.ts')}
export { FlowExporter } from ${src('electron/shared/flowexport/exporter.ts')}
export { parseCollectorUrl } from ${src('electron/shared/flowexport/options.ts')}
export { readPcapFile } from ${src('test/unit/flows/pcap-reader.ts')}
`,
)
await build({
  input: entry,
  platform: 'node',
  output: { file: join(dir, 'core.mjs'), format: 'esm' },
  logLevel: 'silent',
})
const core = await import(pathToFileURL(join(dir, 'core.mjs')).href)
rmSync(dir, { recursive: true, force: true })

// A receiver that counts what arrives (the kernel drops what it cannot queue: the sender's cost
// is what is measured).
const sink = createSocket('udp4')
let received = 0
sink.on('message', () => received++)
await new Promise((r) => sink.bind(0, '127.0.0.1', r))
const port = sink.address().port
const url = `ipfix://127.0.0.1:${port}`

const { linkType, records } = core.readPcapFile(file)
const n = records.length
console.log(
  `${file}: ${n.toLocaleString('en-US')} packets, ${rounds} rounds, Node ${process.version}`,
)

function run(withExport) {
  const agg = new core.Aggregator({ linkType, idleTimeoutS: 365 * 86400 })
  let exporter = null
  if (withExport) {
    exporter = new core.FlowExporter({ collectors: [core.parseCollectorUrl(url).value] })
    agg.attachExport(exporter)
  }
  const t0 = process.hrtime.bigint()
  for (const r of records) agg.add(r.tsUs, r.data, r.wireLen)
  agg.finishExport()
  const ns = Number(process.hrtime.bigint() - t0) / n
  return { ns, exporter }
}

const best = { plain: Infinity, export: Infinity }
let stats = null
for (let i = 0; i < rounds; i++) {
  best.plain = Math.min(best.plain, run(false).ns)
  const { ns, exporter } = run(true)
  best.export = Math.min(best.export, ns)
  await exporter.close(2000)
  stats = exporter.stats()
}
const fmt = (ns) => `${ns.toFixed(0).padStart(5)} ns/packet (${(1e3 / ns).toFixed(2)} M pkts/s)`
console.log(`in memory, best of ${rounds}:`)
console.log(`  aggregate (plain analysis)    ${fmt(best.plain)}`)
console.log(`  aggregate + IPFIX export      ${fmt(best.export)}`)
console.log(
  `  export share                  ${(best.export - best.plain).toFixed(0)} ns/packet (+${(((best.export - best.plain) / best.plain) * 100).toFixed(1)} %); ${stats.records} records in ${stats.messagesSent} messages per round`,
)

// Whole processes on the same file.
function wall(cmd, args) {
  let bestMs = Infinity
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 300_000 })
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.status !== 0) return null
    bestMs = Math.min(bestMs, ms)
  }
  return bestMs
}
const cli = join(root, 'bin/flowscope.cjs')
const procs = []
if (existsSync(join(root, 'out/main'))) {
  procs.push([
    'flowscope analyze',
    wall(process.execPath, [cli, 'analyze', file, '--by', 'protocol']),
  ])
  procs.push([
    'flowscope analyze --export',
    wall(process.execPath, [cli, 'analyze', file, '--by', 'protocol', '--export', url]),
  ])
} else console.log('  (out/main missing: run npx electron-vite build for the process figures)')
if (spawnSync('sh', ['-c', 'command -v softflowd']).status === 0) {
  procs.push([
    'softflowd -r -v 10',
    wall('softflowd', [
      '-r',
      file,
      '-n',
      `127.0.0.1:${port}`,
      '-v',
      '10',
      '-6',
      '-d',
      '-t',
      'maxlife=60',
      '-t',
      'general=15',
    ]),
  ])
} else console.log('  (softflowd not installed)')
console.log(`whole process reading the file, best of ${rounds}:`)
for (const [name, ms] of procs) {
  if (ms === null) console.log(`  ${name.padEnd(28)}  failed`)
  else
    console.log(
      `  ${name.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1e6) / n).toFixed(0).padStart(6)} ns/packet`,
    )
}
console.log(`(receiver got ${received} datagrams in all)`)
sink.close()
