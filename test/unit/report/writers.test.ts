import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { conversationRows, hostRows } from '../../../electron/shared/report/rows'
import {
  neutraliseFormula,
  writeReport,
  type Report,
  type ReportFormat,
} from '../../../electron/shared/report/writers'
import { conversation } from './fixtures'

async function render(format: ReportFormat, report: Report): Promise<string> {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => (text += d.toString()))
  await writeReport(out, format, report)
  return text
}

const HEADER =
  'protocol,address_a,port_a,address_b,port_b,packets_a_to_b,bytes_a_to_b,packets_b_to_a,bytes_b_to_a,first_seen,last_seen,retransmissions,handshake_rtt_ms' +
  ',process,pid,service,name_a,name_b,country_a,country_b,asn_a,asn_b'

describe('csv', () => {
  it('has the exact conversation header, empty ports and RTT where absent, raw numbers', async () => {
    const rows = conversationRows([
      conversation(),
      conversation({
        protocol: 'icmpv6',
        address_a: 'fd77::1',
        address_b: 'fd77::2',
        port_a: null,
        port_b: null,
        handshake_rtt_ms: null,
        first_seen_us: 1,
      }),
    ])
    const lines = (await render('csv', { by: 'conversation', rows })).split('\n')
    expect(lines[0]).toBe(HEADER)
    expect(lines[1]).toBe(
      'icmpv6,fd77::1,,fd77::2,,10,1000,8,8000,1970-01-01T00:00:00.000001Z,2026-11-26T07:15:10.000001Z,0,,,,,,,,,,',
    )
    expect(lines[2]).toBe(
      'tcp,10.0.0.1,40000,10.0.0.2,443,10,1000,8,8000,2026-11-26T07:15:08.123456Z,2026-11-26T07:15:10.000001Z,0,0.25,,,,,,,,,',
    )
    expect(lines[3]).toBe('')
  })
  it('quotes per RFC 4180 and neutralises formula-like text cells', async () => {
    const rows = conversationRows([
      conversation({ protocol: '=cmd|"x"', address_a: 'a,b', address_b: '-1+1' }),
    ])
    const row = (await render('csv', { by: 'conversation', rows })).split('\n')[1]!
    expect(row.startsWith(`"'=cmd|""x""","a,b",40000,'-1+1,443,`)).toBe(true)
  })
  it('neutralises = + - @ tab and CR prefixes only', () => {
    for (const s of ['=1', '+1', '-1', '@x', '\tx', '\rx'])
      expect(neutraliseFormula(s)).toBe(`'${s}`)
    for (const s of ['10.0.0.1', 'fd77::1', 'tcp', '']) expect(neutraliseFormula(s)).toBe(s)
  })
  it('streams many rows with a header only once', async () => {
    const rows = conversationRows(
      Array.from({ length: 5001 }, (_, i) => conversation({ port_a: i % 65536, first_seen_us: i })),
    )
    const lines = (await render('csv', { by: 'conversation', rows })).trimEnd().split('\n')
    expect(lines).toHaveLength(5002)
    expect(lines.filter((l) => l === HEADER)).toHaveLength(1)
  })
})

describe('json', () => {
  it('is an array of objects with the csv columns as keys', async () => {
    const rows = hostRows([conversation()])
    const parsed = JSON.parse(await render('json', { by: 'host', rows })) as Record<
      string,
      unknown
    >[]
    expect(parsed).toHaveLength(2)
    expect(Object.keys(parsed[0]!)).toEqual([
      'address',
      'packets_sent',
      'bytes_sent',
      'packets_received',
      'bytes_received',
      'conversations',
      'first_seen',
      'last_seen',
    ])
    expect(JSON.parse(await render('json', { by: 'host', rows: [] }))).toEqual([])
  })
  it('stays valid JSON across chunks', async () => {
    const rows = conversationRows(
      Array.from({ length: 4500 }, (_, i) => conversation({ first_seen_us: i })),
    )
    expect(JSON.parse(await render('json', { by: 'conversation', rows }))).toHaveLength(4500)
  })
})

describe('table', () => {
  it('aligns columns, shows human units and endpoints with ports', async () => {
    const rows = conversationRows([
      conversation({ bytes_b_to_a: 2_500_000 }),
      conversation({
        address_a: 'fd77::1',
        address_b: 'fd77::2',
        port_a: 1,
        port_b: 2,
        first_seen_us: 0,
      }),
    ])
    const lines = (await render('table', { by: 'conversation', rows })).trimEnd().split('\n')
    expect(lines[0]).toMatch(/^PROTO\s+A\s+B\s+PKTS A>B/)
    expect(lines[1]).toContain('[fd77::1]:1')
    expect(lines[2]).toContain('10.0.0.1:40000')
    expect(lines[2]).toContain('2.50 MB')
    // Right-aligned numeric columns end at the same offset as their header.
    const end = lines[0]!.indexOf('BYTES B>A') + 'BYTES B>A'.length
    expect(lines[2]!.slice(0, end).endsWith('2.50 MB')).toBe(true)
  })
  it('says so when there is no traffic', async () => {
    expect(await render('table', { by: 'protocol', rows: [] })).toContain('(no traffic)')
  })
})
