#!/usr/bin/env node
// Micro-benchmark of the capture core (decode + flow table + windows + TCP analysis) on the
// records of a pcap file held in memory, so file I/O is not measured.
//   node bench/decode-aggregate.mjs FILE.pcap [ROUNDS]
// Peers measured in the same run: a loop that only touches every record (the floor of any JS
// consumer), node-pcap's own JS decoder (pcap.decode.packet, an object tree per packet; the
// library Flowscope captures with) and our decodeFrame alone. Printed as ns/packet, packets/s.
import { build } from 'rolldown'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const file = process.argv[2]
const rounds = Number(process.argv[3] ?? 5)
if (!file) {
  console.error('usage: node bench/decode-aggregate.mjs FILE.pcap [ROUNDS]')
  process.exit(2)
}

// Bundle the TypeScript core once (rolldown ships with vite) and import it.
const dir = mkdtempSync(join(tmpdir(), 'fsd-bench-'))
const entry = join(dir, 'entry.ts')
const { writeFileSync } = await import('node:fs')
writeFileSync(
  entry,
  `export { Aggregator } from ${JSON.stringify(join(root, 'electron/shared/flows/aggregator.ts'))}
export { decodeFrame, DecodeScratch } from ${JSON.stringify(join(root, 'electron/shared/decode/index.ts'))}
export { readPcapFile } from ${JSON.stringify(join(root, 'test/unit/flows/pcap-reader.ts'))}
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

const { linkType, records } = core.readPcapFile(file)
const n = records.length
const ts = records.map((r) => r.tsUs)
const data = records.map((r) => r.data)
const wire = records.map((r) => r.wireLen)

function time(fn) {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / n
}
// node-pcap's decoder wants Buffers, a 16-byte pcap header and a link type name.
const { createRequire } = await import('node:module')
const pcap = createRequire(import.meta.url)('pcap')
const pcapLinkNames = {
  0: 'LINKTYPE_NULL',
  1: 'LINKTYPE_ETHERNET',
  101: 'LINKTYPE_RAW',
  113: 'LINKTYPE_LINUX_SLL',
}
const pcapLink = pcapLinkNames[linkType]
const pcapPackets = pcapLink
  ? records.map((r) => {
      const header = Buffer.alloc(16)
      header.writeUInt32LE(Math.floor(r.tsUs / 1e6), 0)
      header.writeUInt32LE(r.tsUs % 1e6, 4)
      header.writeUInt32LE(r.data.length, 8)
      header.writeUInt32LE(r.wireLen, 12)
      return {
        link_type: pcapLink,
        header,
        buf: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length),
      }
    })
  : null

const results = { touch: [], 'node-pcap decode': [], decode: [], aggregate: [] }
let sink = 0
for (let r = 0; r < rounds; r++) {
  results.touch.push(
    time(() => {
      for (let i = 0; i < n; i++) sink += data[i][0] + wire[i] + ts[i]
    }),
  )
  if (pcapPackets) {
    results['node-pcap decode'].push(
      time(() => {
        for (let i = 0; i < n; i++) sink += pcap.decode.packet(pcapPackets[i]).pcap_header.len
      }),
    )
  }
  const s = new core.DecodeScratch()
  results.decode.push(
    time(() => {
      for (let i = 0; i < n; i++) sink += core.decodeFrame(linkType, data[i], s)
    }),
  )
  let agg
  results.aggregate.push(
    time(() => {
      agg = new core.Aggregator({ linkType })
      for (let i = 0; i < n; i++) agg.add(ts[i], data[i], wire[i])
      agg.advance(ts[n - 1])
      sink += agg.snapshot(20).packets
    }),
  )
}
const best = (xs) => Math.min(...xs)
console.log(`${file}: ${n} packets, best of ${rounds} rounds (node ${process.version})`)
for (const [name, xs] of Object.entries(results)) {
  if (xs.length === 0) continue
  const ns = best(xs)
  console.log(
    `  ${name.padEnd(17)} ${ns.toFixed(1).padStart(7)} ns/packet  ${(1e9 / ns / 1e6).toFixed(2).padStart(6)} M packets/s`,
  )
}
if (sink === 0.5) console.log(sink)
