/**
 * The ICMP addon is loaded only from the app's own files, and ICMP sockets are unprivileged ping
 * sockets when the kernel allows them; when it doesn't, the error names the sysctl, its value and
 * the command that fixes it. The kernel part runs as an unprivileged user (nobody) in a private
 * network namespace, whose ping_group_range is its own (the host's is never touched).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  addonCandidates,
  explainOpenError,
  findAddon,
  pingSocketAdvice,
} from '../../../electron/workers/probe/icmp-addon'

const plant = (root: string) => {
  const dir = join(root, 'native', 'icmp', 'build', 'Release')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'fsp_icmp.node'), 'planted')
  return join(dir, 'fsp_icmp.node')
}

describe('where the ICMP addon is loaded from', () => {
  const cwd = process.cwd()
  afterEach(() => process.chdir(cwd))

  it('never from the working directory', () => {
    const evil = realpathSync(mkdtempSync(join(tmpdir(), 'fsp-cwd-')))
    const planted = plant(evil)
    process.chdir(evil)
    expect(findAddon({})).not.toBe(planted)
    // A module with no addon beside it finds nothing, whatever the working directory holds.
    const bare = join(evil, 'srv', 'app', 'out', 'main')
    mkdirSync(bare, { recursive: true })
    expect(findAddon({}, bare)).toBeNull()
  })

  it('never from a directory above the app', () => {
    const top = mkdtempSync(join(tmpdir(), 'fsp-up-'))
    plant(top) // four levels above the module: the old walk up six levels found this
    const from = join(top, 'opt', 'flowscope', 'out', 'main')
    mkdirSync(from, { recursive: true })
    expect(findAddon({}, from)).toBeNull()
    const own = plant(join(top, 'opt', 'flowscope'))
    expect(findAddon({}, from)).toBe(own)
    for (const c of addonCandidates(from))
      expect(resolve(c).startsWith(resolve(top, 'opt'))).toBe(true)
  })
})

describe('advice when ping sockets are refused', () => {
  it('names the sysctl, its value, and the narrowest range that admits us', () => {
    const off = pingSocketAdvice({ range: '1 0', gid: 1000, groups: [1000, 27] })
    expect(off).toContain('net.ipv4.ping_group_range is "1 0" (off for every group)')
    expect(off).toContain('`sudo sysctl -w net.ipv4.ping_group_range="1000 1000"`')
    expect(off).toContain('/etc/sysctl.d/')
    const narrow = pingSocketAdvice({ range: '100 200', gid: 1000, groups: [1000, 27] })
    expect(narrow).toContain('is "100 200", which leaves out gid 1000 (groups 1000, 27)')
    expect(narrow).toContain('ping_group_range="100 1000"')
    expect(pingSocketAdvice({ range: null, gid: 5, groups: [] })).toMatch(/unreadable/)
    const e = explainOpenError(Object.assign(new Error('x'), { code: 'EACCES' }), () => ({
      range: '1 0',
      gid: 7,
      groups: [],
    }))
    expect(e.code).toBe('PERMISSION_DENIED')
    expect(e.message).not.toMatch(/setcap/) // never capabilities on node itself
    expect(e.message).not.toContain('\n')
  })
})

// The kernel's answer, for an unprivileged user and for root, in a namespace of our own.
const addon = findAddon()
const skip =
  process.platform !== 'linux'
    ? 'Linux only'
    : process.getuid?.() !== 0
      ? 'needs root to create a network namespace and switch to nobody'
      : !addon
        ? 'addon not built (npm run build:native)'
        : spawnSync('unshare', ['--version']).status !== 0 ||
            spawnSync('setpriv', ['--version']).status !== 0
          ? 'unshare/setpriv (util-linux) missing'
          : null
if (skip) console.warn(`skipping ping socket tests against the kernel: ${skip}`)

/** Opens an 'auto' ICMPv4 socket in a fresh netns with `range`, as `uid`, and pings 127.0.0.1. */
function tryIcmp(range: string, uid: number, extraSetup = '') {
  const child = `
    const mod = { exports: {} }
    process.dlopen(mod, ${JSON.stringify(addon)})
    let s
    try {
      s = new mod.exports.IcmpSocket(4, 'auto', (rs) => {
        console.log(JSON.stringify({ ok: true, kind: s.kind, from: rs[0].from }))
        process.exit(0)
      })
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, rawErrno: e.rawErrno, dgramErrno: e.dgramErrno }))
      process.exit(0)
    }
    s.send('127.0.0.1', 1, Buffer.from('fsp'))
    setTimeout(() => { console.log(JSON.stringify({ ok: true, kind: s.kind, from: null })); process.exit(0) }, 2000)
  `
  const script =
    `ip link set lo up && sysctl -qw net.ipv4.ping_group_range="${range}" && ${extraSetup}` +
    `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups ${process.execPath} -e "$0"`
  const r = spawnSync('unshare', ['--net', 'sh', '-c', script, child], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim()) as {
    ok: boolean
    kind?: string
    from?: string | null
    code?: string
    rawErrno?: number
    dgramErrno?: number
  }
}

describe.skipIf(skip !== null)('ICMP sockets against the kernel', () => {
  it('as nobody with ping sockets off: refused, and the advice given fixes it', () => {
    const refused = tryIcmp('1 0', 65534)
    expect(refused).toEqual({ ok: false, code: 'EACCES', rawErrno: 1, dgramErrno: 13 })
    const msg = explainOpenError(refused, () => ({ range: '1 0', gid: 65534, groups: [] })).message
    const fix = /`(sudo sysctl -w net\.ipv4\.ping_group_range="[0-9 ]+")`/.exec(msg)?.[1]
    expect(fix).toBe('sudo sysctl -w net.ipv4.ping_group_range="65534 65534"')
    // Run exactly that command (as root already, so without sudo) and try again.
    const allowed = tryIcmp('1 0', 65534, `${fix!.replace(/^sudo /, '')} >/dev/null && `)
    expect(allowed).toEqual({ ok: true, kind: 'dgram', from: '127.0.0.1' })
  })

  it('as root: the ping socket when allowed, raw only as the fallback', () => {
    expect(tryIcmp('0 0', 0)).toEqual({ ok: true, kind: 'dgram', from: '127.0.0.1' })
    expect(tryIcmp('1 0', 0)).toEqual({ ok: true, kind: 'raw', from: '127.0.0.1' })
  })
})
