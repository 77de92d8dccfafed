import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { analyzeCommand } from '../../../electron/cli/commands/analyze'
import type { CliIo } from '../../../electron/cli/io'
import { nativeBuilt } from './native-built'
import { pcapFile, tcp4, udp4 } from './pcap-file'

const dir = mkdtempSync(join(tmpdir(), 'fsc-analyze-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function fakeIo(tty: boolean): { io: CliIo; out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), { isTTY: tty })
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  return {
    io: { stdout, stderr, env: {}, signal: new AbortController().signal },
    out: () => out,
    err: () => err,
  }
}

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0) * 1000
// Enough frames for several read-ahead batches, so progress is reported more than once.
const frames = Array.from({ length: 200_000 }, (_, i) =>
  i % 2 === 0
    ? { tsUs: T0 + i, data: udp4('10.0.0.1', '10.0.0.2', 5000, 53) }
    : { tsUs: T0 + i, data: tcp4('10.0.0.3', '10.0.0.1', 443, 40000, 0x10, i) },
)
const file = join(dir, 'mix.pcap')
writeFileSync(file, pcapFile(frames))

describe.skipIf(!nativeBuilt())('flowscope analyze (in-process)', () => {
  it('reports hosts as JSON to --out, with nothing on stdout and no progress off a terminal', async () => {
    const { io, out, err } = fakeIo(false)
    const outPath = join(dir, 'hosts.json')
    expect(
      await analyzeCommand.run([file, '--by', 'host', '--format', 'json', '--out', outPath], io),
    ).toBe(0)
    expect(out()).toBe('')
    expect(err()).toBe('')
    const hosts = JSON.parse(readFileSync(outPath, 'utf8')) as {
      address: string
      packets_sent: number
      packets_received: number
    }[]
    expect(hosts.find((h) => h.address === '10.0.0.1')).toMatchObject({
      packets_sent: 100_000,
      packets_received: 100_000,
    })
    expect(hosts.find((h) => h.address === '10.0.0.3')).toMatchObject({
      packets_sent: 100_000,
      packets_received: 0,
    })
  })

  it('shows progress on a terminal and clears it before the report', async () => {
    const { io, out, err } = fakeIo(true)
    expect(await analyzeCommand.run([file, '--by', 'protocol'], io)).toBe(0)
    expect(err()).toMatch(/analysing .*mix\.pcap: \d+ %, [\d,]+ packets/)
    expect(err().endsWith('\r\x1b[2K')).toBe(true)
    expect(out()).toMatch(/^PROTOCOL\s+PACKETS\s+BYTES\s+SHARE\s+CONVERSATIONS\n/)
    expect(out()).toMatch(/\ntcp\s+100,000 /)
  })
})
