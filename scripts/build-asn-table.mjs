#!/usr/bin/env node
// Compiles @ip-location-db/asn (RouteViews + NRO + DB-IP, CC BY 4.0) into out/data/asn.bin: a
// sorted range table the app reads in one go and binary-searches, so it never parses 30 MB of
// CSV at start-up. Run by `npm run build`; `--out PATH` writes elsewhere.
//
// Format (little-endian; every section starts on a 4-byte boundary), read by
// electron/shared/attribution/asn-table.ts:
//   0  magic "FSASN001" (8 bytes)
//   8  u32 v4 ranges, u32 v6 ranges, u32 networks, u32 org text bytes, u32 source text bytes
//  28  source text (package name@version), padded to 4
//      v4 starts u32[v4]           first address of each range, ascending
//      v4 network u32[v4]          index into networks, or 0xffffffff for a gap (no data)
//      v6 starts u32[4 * v6]       each start as four words, most significant first
//      v6 network u32[v6]
//      network asn u32[networks]
//      network org offsets u32[networks + 1] into the org text (UTF-8)
//      org text
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

const require = createRequire(import.meta.url)
const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const outArg = process.argv.indexOf('--out')
const outPath = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'out/data/asn.bin')
const pkgDir = dirname(require.resolve('@ip-location-db/asn/package.json'))
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
const GAP = 0xffffffff

/** Splits one CSV line (fields may be quoted, with "" for a quote). */
function fields(line) {
  const out = []
  let i = 0
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = ''
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        if (q < 0) throw new Error(`unterminated quote: ${line}`)
        v += line.slice(i, q)
        if (line[q + 1] === '"') {
          v += '"'
          i = q + 2
        } else {
          i = q + 2 // past the quote and the comma
          break
        }
      }
      out.push(v)
    } else {
      const c = line.indexOf(',', i)
      const end = c < 0 ? line.length : c
      out.push(line.slice(i, end))
      i = end + 1
    }
  }
  return out
}

const networks = new Map() // "asn\torg" -> index
const netAsn = []
const netOrg = []
function network(asn, org) {
  const key = `${asn}\t${org}`
  let i = networks.get(key)
  if (i === undefined) {
    i = netAsn.length
    networks.set(key, i)
    netAsn.push(asn)
    netOrg.push(org)
  }
  return i
}

/** Reads one -num CSV into [start, end, network] rows (BigInt bounds), sorted by start. */
async function read(file) {
  const rows = []
  const lines = createInterface({ input: createReadStream(join(pkgDir, file)) })
  for await (const line of lines) {
    if (!line) continue
    const [start, end, asn, org = ''] = fields(line)
    rows.push([BigInt(start), BigInt(end), network(Number(asn), org)])
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return rows
}

/** Ranges as [start, network] with explicit gaps; neighbours with the same network merged. */
function compact(rows) {
  const out = []
  let next = 0n
  for (const [start, end, net] of rows) {
    if (end < next) continue // overlaps an earlier row (the data should have none)
    const s = start < next ? next : start
    if (s > next) out.push([next, GAP])
    if (out.length === 0 || out[out.length - 1][1] !== net) out.push([s, net])
    next = end + 1n
  }
  out.push([next, GAP])
  return out
}

const v4 = compact(await read('asn-ipv4-num.csv')).filter(([s]) => s <= 0xffffffffn)
const v6 = compact(await read('asn-ipv6-num.csv')).filter(([s]) => s < 1n << 128n)

const enc = new TextEncoder()
const source = enc.encode(`${pkg.name}@${pkg.version}`)
const orgBytes = netOrg.map((o) => enc.encode(o))
const orgLen = orgBytes.reduce((s, b) => s + b.length, 0)
const pad = (n) => (n + 3) & ~3
const size =
  28 +
  pad(source.length) +
  v4.length * 8 +
  v6.length * 20 +
  netAsn.length * 4 +
  (netAsn.length + 1) * 4 +
  orgLen
const buf = Buffer.alloc(size)
buf.write('FSASN001', 0, 'latin1')
buf.writeUInt32LE(v4.length, 8)
buf.writeUInt32LE(v6.length, 12)
buf.writeUInt32LE(netAsn.length, 16)
buf.writeUInt32LE(orgLen, 20)
buf.writeUInt32LE(source.length, 24)
let o = 28
buf.set(source, o)
o += pad(source.length)
for (const [s] of v4) o = buf.writeUInt32LE(Number(s), o)
for (const [, n] of v4) o = buf.writeUInt32LE(n, o)
for (const [s] of v6)
  for (let k = 3; k >= 0; k--) o = buf.writeUInt32LE(Number((s >> BigInt(32 * k)) & 0xffffffffn), o)
for (const [, n] of v6) o = buf.writeUInt32LE(n, o)
for (const a of netAsn) o = buf.writeUInt32LE(a, o)
let off = 0
for (const b of orgBytes) {
  o = buf.writeUInt32LE(off, o)
  off += b.length
}
o = buf.writeUInt32LE(off, o)
for (const b of orgBytes) {
  buf.set(b, o)
  o += b.length
}
mkdirSync(dirname(outPath), { recursive: true })
writeFileSync(outPath, buf)
console.log(
  `asn table: ${v4.length} IPv4 + ${v6.length} IPv6 ranges, ${netAsn.length} networks, ${(size / 1048576).toFixed(1)} MiB -> ${outPath}`,
)
