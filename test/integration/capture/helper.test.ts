/**
 * Least-privilege capture (the dumpcap model): the capture helper, installed as the package does
 * (group-executable, cap_net_raw+ep) and run as an unprivileged user inside a network namespace
 * with real traffic, captures what tcpdump captures beside it: same packets, same bytes. So does
 * `flowscope capture` run by that user through it, and the in-process capture as root.
 * Without the capability, or outside the group, capture fails with the documented one-line advice
 * (exit 2) while the rest of the app still works: interfaces are listed, probes run.
 * Needs root (namespaces, setcap, groupadd), tcpdump, tshark, setpriv, setcap, getcap, ping.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Netns } from '../../support/netns'
import { flowscope, flowscopeAsync, ROOT, unavailable } from './helpers'

const HELPER = join(ROOT, 'native', 'caphelper', 'build', 'flowscope-capture')
const skip =
  unavailable({
    root: true,
    tools: ['tcpdump', 'tshark', 'setpriv', 'setcap', 'getcap', 'groupadd', 'groupdel', 'ping'],
    files: [HELPER],
  }) ?? null
if (skip) console.warn(`capture/helper.test.ts skipped: ${skip}`)

const NOBODY = 65534
const ns = new Netns('fsh', '10.73.0', 'fd73')
const group = `fshcap${process.pid}`
let gid = 0
let dir = ''
let capped = ''
let plain = ''
const children: ChildProcess[] = []

beforeAll(() => {
  if (skip) return
  ns.create()
  dir = mkdtempSync(join(tmpdir(), 'fsc-caph-'))
  chmodSync(dir, 0o755)
  execFileSync('groupadd', ['--system', group])
  gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2])
  // As resources/deb/postinst installs it: root:group 0750, then setcap (chgrp clears caps).
  capped = join(dir, 'capped')
  plain = join(dir, 'plain')
  for (const path of [capped, plain]) {
    copyFileSync(HELPER, path)
    execFileSync('chgrp', [group, path])
    chmodSync(path, 0o750)
  }
  execFileSync('setcap', ['cap_net_raw+ep', capped])
})

afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  ns.destroy()
  if (gid) execFileSync('groupdel', [group])
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** argv prefix: run as nobody, in our group or not, with no capability of its own. */
function asNobody(inGroup: boolean): string[] {
  return [
    'setpriv',
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    inGroup ? `--groups=${gid}` : '--clear-groups',
    '--inh-caps=-all',
    '--',
  ]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Frames and their total length on the wire, as tshark counts them. */
function tsharkTotals(file: string): { packets: number; bytes: number } {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], {
    encoding: 'utf8',
  })
  const lens = out.split('\n').filter(Boolean).map(Number)
  return { packets: lens.length, bytes: lens.reduce((a, b) => a + b, 0) }
}

function reportTotals(json: string): { packets: number; bytes: number } {
  const rows = JSON.parse(json) as { packets: number; bytes: number }[]
  return {
    packets: rows.reduce((a, r) => a + r.packets, 0),
    bytes: rows.reduce((a, r) => a + r.bytes, 0),
  }
}

function waitFor(child: ChildProcess, text: string): Promise<string> {
  let seen = ''
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString()
      if (seen.includes(text)) resolve(seen)
    })
    child.on('exit', (code) => reject(new Error(`exited ${code} before '${text}': ${seen}`)))
  })
}

describe.skipIf(skip !== null)('capture helper as an unprivileged user', () => {
  it('captures what tcpdump captures; so do flowscope through it and in-process', async () => {
    expect(execFileSync('getcap', [capped], { encoding: 'utf8' })).toMatch(/cap_net_raw[=+]ep/)
    const filter = 'not ip6 multicast'
    const tdFile = join(dir, 'tcpdump.pcap')
    const helperFile = join(dir, 'helper.pcap')
    const tcpdump = spawn(
      'ip',
      [
        ...ns.in(ns.a).slice(1),
        'tcpdump',
        '-i',
        ns.vethA,
        '-s',
        '128',
        '-U',
        '-n',
        '-w',
        tdFile,
        filter,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    children.push(tcpdump)
    await waitFor(tcpdump, 'listening on')
    const out = openSync(helperFile, 'w')
    const helper = spawn(
      'ip',
      [
        ...ns.in(ns.a).slice(1),
        ...asNobody(true),
        capped,
        '-i',
        ns.vethA,
        '-s',
        '128',
        '-f',
        filter,
      ],
      { stdio: ['ignore', out, 'pipe'] },
    )
    closeSync(out)
    children.push(helper)
    const env = { FLOWSCOPE_CAPTURE_HELPER: capped }
    const viaHelper = flowscopeAsync(
      [
        'capture',
        '-i',
        ns.vethA,
        '--duration',
        '5',
        '--filter',
        filter,
        '--by',
        'protocol',
        '--format',
        'json',
      ],
      [
        'env',
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...ns.in(ns.a),
        ...asNobody(true),
      ],
    )
    const direct = flowscopeAsync(
      [
        'capture',
        '-i',
        ns.vethA,
        '--duration',
        '5',
        '--filter',
        filter,
        '--by',
        'protocol',
        '--format',
        'json',
      ],
      [
        'env',
        'FLOWSCOPE_CAPTURE_DIRECT=1',
        'FLOWSCOPE_CAPTURE_HELPER=/nonexistent',
        ...ns.in(ns.a),
      ],
    )
    await waitFor(helper, 'ready 1 128')
    // Once the interface is open, the helper runs as nobody with no capability left.
    const status = readFileSync(`/proc/${helper.pid}/status`, 'utf8')
    expect(status).toMatch(
      new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}$`, 'm'),
    )
    for (const set of ['CapEff', 'CapPrm', 'CapInh', 'CapAmb'])
      expect(status).toMatch(new RegExp(`^${set}:\\s+0+$`, 'm'))
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m)
    await sleep(1500) // both flowscope captures open meanwhile
    const pings = [
      ['ping', '-q', '-c', '20', '-i', '0.05', ns.addrB],
      ['ping', '-6', '-q', '-c', '20', '-i', '0.05', '-s', '900', ns.addr6B],
      ['ping', '-q', '-c', '30', '-i', '0.02', '-s', '1400', ns.addrB],
    ]
    await Promise.all(
      pings.map(
        (cmd) =>
          new Promise<void>((resolve) =>
            spawn('ip', [...ns.in(ns.a).slice(1), ...cmd], { stdio: 'ignore' }).on('exit', () =>
              resolve(),
            ),
          ),
      ),
    )
    const [h, d] = await Promise.all([viaHelper.done, direct.done])
    await sleep(300)
    const helperExit = new Promise((resolve) => helper.on('exit', resolve))
    helper.kill('SIGTERM')
    const helperLines = (await waitFor(helper, 'stats').catch((e: Error) => e.message)) as string
    await helperExit
    tcpdump.kill('SIGINT')
    await new Promise((resolve) => tcpdump.on('exit', resolve))

    expect(h.code, h.stderr).toBe(0)
    expect(d.code, d.stderr).toBe(0)
    const td = tsharkTotals(tdFile)
    const hp = tsharkTotals(helperFile)
    const viaH = reportTotals(h.stdout)
    const dir_ = reportTotals(d.stdout)
    console.log(
      `packets/bytes: tcpdump ${td.packets}/${td.bytes}, helper as nobody ${hp.packets}/${hp.bytes}, ` +
        `flowscope via helper as nobody ${viaH.packets}/${viaH.bytes}, flowscope in-process as root ${dir_.packets}/${dir_.bytes}`,
    )
    expect(td.packets).toBeGreaterThanOrEqual(140) // 70 echo requests and their replies
    expect(hp).toEqual(td)
    expect(viaH).toEqual(td)
    expect(dir_).toEqual(td)
    expect(h.stderr).toMatch(/capture: [\d,]+ packets received by filter, 0 dropped by kernel/)
    // The helper's own pcap_stats agree with its stream.
    const stats = /stats (\d+) (\d+) (\d+)\n(?![\s\S]*stats)/.exec(helperLines)
    expect(stats, helperLines).not.toBeNull()
    expect(Number(stats![1])).toBe(hp.packets)
    expect(stats![2]).toBe('0')
  }, 60_000)

  it('without the capability: the documented message, exit 2; interfaces and probes still work', async () => {
    const envPlain = ['env', `FLOWSCOPE_CAPTURE_HELPER=${plain}`]
    const noCap = flowscope(
      ['capture', '-i', ns.vethA, '--duration', '1'],
      [...envPlain, ...ns.in(ns.a), ...asNobody(true)],
    )
    expect(noCap.code, noCap.stderr).toBe(2)
    expect(noCap.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(noCap.stderr).toMatch(
      new RegExp(
        `^flowscope: no permission to capture on ${ns.vethA}: the capture helper ${plain} lacks CAP_NET_RAW.*\`sudo setcap cap_net_raw\\+ep ${plain}\``,
      ),
    )
    const notInGroup = flowscope(
      ['capture', '-i', ns.vethA, '--duration', '1'],
      ['env', `FLOWSCOPE_CAPTURE_HELPER=${capped}`, ...ns.in(ns.a), ...asNobody(false)],
    )
    expect(notInGroup.code, notInGroup.stderr).toBe(2)
    expect(notInGroup.stderr).toMatch(
      /^flowscope: no permission to capture on \S+: add your user to the flowscope group, whose members may run the capture helper .*`sudo usermod -aG flowscope "\$USER"`, then log out and back in\n$/,
    )
    for (const r of [noCap, notInGroup]) expect(r.stderr).not.toMatch(/net_admin|which node/)

    // Reduced mode: the interfaces view and probes need no capability.
    const list = flowscope(
      ['interfaces', '--format', 'json'],
      [...envPlain, ...ns.in(ns.a), ...asNobody(true)],
    )
    expect(list.code, list.stderr).toBe(0)
    const ifaces = JSON.parse(list.stdout) as {
      name: string
      capture: { allowed: boolean; reason: string }
    }[]
    const veth = ifaces.find((i) => i.name === ns.vethA)
    expect(veth?.capture.allowed).toBe(false)
    expect(veth?.capture.reason).toMatch(/sudo setcap cap_net_raw\+ep/)
    const table = flowscope(['interfaces'], [...envPlain, ...ns.in(ns.a), ...asNobody(true)])
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(ns.vethA)
    expect(table.stderr).toMatch(
      /^capture: needs CAP_NET_RAW, which only the capture helper gets: .*sudo setcap cap_net_raw\+ep/,
    )
    const server = ns.spawn(ns.b, [
      process.execPath,
      '-e',
      `require('net').createServer((s) => s.end()).listen(5399, '${ns.addrB}')`,
    ])
    children.push(server)
    await sleep(500)
    const probe = flowscope(
      ['probe', `tcp://${ns.addrB}:5399`, '--count', '3', '--interval', '100', '--format', 'json'],
      [...ns.in(ns.a), ...asNobody(false)],
    )
    expect(probe.code, probe.stderr).toBe(0)
    expect(JSON.parse(probe.stdout)).toMatchObject([{ sent: 3, received: 3, loss_pct: 0 }])
  }, 60_000)
})
