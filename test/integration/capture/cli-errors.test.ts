/** User mistakes end as one line on stderr and exit code 2, never a stack trace. */
import { execFileSync, spawnSync } from 'node:child_process'
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pcapFile, udp4 } from '../../unit/capture/pcap-file'
import { CLI, flowscope, unavailable } from './helpers'

const skip = unavailable({})
if (skip) console.warn(`capture/cli-errors.test.ts skipped: ${skip}`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const good = join(dir, 'good.pcap')
writeFileSync(
  good,
  pcapFile([{ tsUs: 1_700_000_000_000_000, data: udp4('10.0.0.1', '10.0.0.2', 1, 2) }]),
)
const text = join(dir, 'notes.pcap')
writeFileSync(text, 'just some text, not a capture\n')
const zigbee = join(dir, 'zigbee.pcap')
writeFileSync(zigbee, pcapFile([{ tsUs: 1_700_000_000_000_000, data: new Uint8Array(20) }], 195))

function expectOneLineError(args: string[], pattern: RegExp): void {
  const r = flowscope(args)
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^flowscope: /)
  expect(lines[0]).toMatch(pattern)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe.skipIf(skip !== null)('flowscope analyze / capture errors', () => {
  it('missing file', () => expectOneLineError(['analyze', join(dir, 'nope.pcap')], /no such file/))
  it('directory', () => expectOneLineError(['analyze', dir], /is a directory/))
  it('non-pcap file', () =>
    expectOneLineError(['analyze', text], /not a readable pcap or pcapng file/))
  it('unsupported link type', () =>
    expectOneLineError(['analyze', zigbee], /unsupported link type IEEE802_15_4 \(LINKTYPE 195\)/))
  it('bad BPF', () =>
    expectOneLineError(['analyze', good, '--filter', 'tcp port'], /bad filter 'tcp port'/))
  it('unknown --by', () =>
    expectOneLineError(
      ['analyze', good, '--by', 'nonsense'],
      /--by must be conversation, host, protocol, service, country or asn, got 'nonsense'/,
    ))
  it('unknown --format', () =>
    expectOneLineError(['analyze', good, '--format', 'xml'], /--format must be table, csv or json/))
  it('no FILE', () => expectOneLineError(['analyze'], /expected one FILE/))
  it('unknown option', () => expectOneLineError(['analyze', good, '--bogus'], /bogus/))
  it('unwritable --out', () =>
    expectOneLineError(
      ['analyze', good, '--out', join(dir, 'no', 'such', 'dir.csv')],
      /cannot write/,
    ))
  it('capture without -i', () =>
    expectOneLineError(['capture', '--duration', '1'], /-i IFACE is required/))
  it('capture with a bad duration', () =>
    expectOneLineError(
      ['capture', '-i', 'lo', '--duration', 'soon'],
      /--duration must be a positive number/,
    ))
  it('capture with a bad snaplen', () =>
    expectOneLineError(
      ['capture', '-i', 'lo', '--snaplen', '10'],
      /--snaplen must be a whole number/,
    ))
  it('capture on a missing interface', () =>
    expectOneLineError(
      ['capture', '-i', 'fscnope0', '--duration', '1'],
      /no such interface: fscnope0|no permission/,
    ))

  it.skipIf(process.getuid?.() !== 0 || unavailable({ tools: ['setpriv'] }) !== null)(
    'capture without CAP_NET_RAW says how to grant it',
    () => {
      const r = flowscope(
        ['capture', '-i', 'lo', '--duration', '1'],
        ['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw', '--'],
      )
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/^flowscope: no permission to capture on lo: .*setcap cap_net_raw/)
    },
  )

  it('a file cut off in a record: the packets before it are reported, with a warning', () => {
    const frames = [0, 1, 2].map((i) => ({
      tsUs: 1_700_000_000_000_000 + i,
      data: udp4('10.0.0.1', '10.0.0.2', 1, 2),
    }))
    const bytes = pcapFile(frames)
    const cut = join(dir, 'cut.pcap')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 7))
    const r = flowscope(['analyze', cut, '--by', 'protocol', '--format', 'json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^flowscope: warning: .*cut\.pcap: stopped after 2 packets: .*\n$/)
    expect(JSON.parse(r.stdout)).toEqual([
      { protocol: 'udp', packets: 2, bytes: 2 * frames[0]!.data.length, conversations: 1 },
    ])
  })

  it("reads standard input for '-'", () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'analyze', '-', '--by', 'protocol', '--format', 'csv'],
      { input: readFileSync(good), encoding: 'utf8' },
    )
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe('protocol,packets,bytes,conversations\nudp,1,58,1\n')
    const bad = spawnSync(process.execPath, [CLI, 'analyze', '-'], {
      input: 'not a capture',
      encoding: 'utf8',
    })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe(
      'flowscope: standard input is not a readable pcap or pcapng file (unknown file format)\n',
    )
  })

  it('a good file works, with --out', () => {
    const out = join(dir, 'out.csv')
    const r = flowscope(['analyze', good, '--format', 'csv', '--out', out])
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' })
  })

  it('--out is created owner-only, complete, and replaces a planted symlink instead of following it', () => {
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'keep me\n')
    const out = join(dir, 'planted.csv')
    symlinkSync(victim, out)
    const r = flowscope(['analyze', good, '--by', 'protocol', '--format', 'csv', '--out', out])
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n')
    expect(lstatSync(out).isSymbolicLink()).toBe(false)
    expect(lstatSync(out).mode & 0o777).toBe(0o600)
    expect(readFileSync(out, 'utf8')).toBe('protocol,packets,bytes,conversations\nudp,1,58,1\n')
    // A file that cannot be read leaves nothing behind, not even a partial temporary file.
    const before = readdirSync(dir).sort()
    const bad = flowscope(['analyze', text, '--out', join(dir, 'never.csv')])
    expect(bad.code).toBe(2)
    expect(readdirSync(dir).sort()).toEqual(before)
  })

  it('--out to a named pipe writes into the pipe and leaves it a pipe (as /dev/null must stay a device)', () => {
    const fifo = join(dir, 'report.fifo')
    execFileSync('mkfifo', [fifo])
    // The reader drains the pipe in the background while flowscope writes it.
    const reader = spawnSync(
      'sh',
      [
        '-c',
        `cat '${fifo}' & reader=$!; "$0" "$@"; wait $reader`,
        process.execPath,
        CLI,
        'analyze',
        good,
        '--by',
        'protocol',
        '--format',
        'csv',
        '--out',
        fifo,
      ],
      { encoding: 'utf8' },
    )
    expect(reader.status, reader.stderr).toBe(0)
    expect(reader.stdout).toBe('protocol,packets,bytes,conversations\nudp,1,58,1\n')
    expect(lstatSync(fifo).isFIFO()).toBe(true)
  })
})
