// Shared by the Connections and engine CPU benches: two private network namespaces joined by a
// veth, a UDP sender making N concurrent conversations, iftop as the peer, CPU from /proc.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const HZ = 100 // USER_HZ on Linux

/** Exits with a SKIP line unless root; installs iftop (the peer) with apt when missing. */
export function needRootAndIftop(bench) {
  if (process.getuid?.() !== 0) {
    console.log(`SKIP ${bench} bench: needs root (network namespaces)`)
    process.exit(0)
  }
  if (spawnSync('sh', ['-c', 'command -v iftop']).status !== 0) {
    console.log('installing iftop (the peer) with apt-get')
    spawnSync('apt-get', ['install', '-y', 'iftop'], { stdio: 'ignore' })
  }
}

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })

/**
 * Namespaces `a` and `b` (names from `tag` and this pid) joined by a veth, `${subnet}.1` and
 * `${subnet}.2`, plus a scratch folder holding `sender.cjs` (node sender.cjs DST N: one 64-byte
 * datagram per second to each of N ports, from one socket). Removed when the process exits.
 */
export function conversationsNetns(tag, subnet) {
  const id = process.pid
  const net = {
    a: `${tag}a${id}`,
    b: `${tag}b${id}`,
    vethA: `${tag}${id}a`.slice(-15),
    vethB: `${tag}${id}b`.slice(-15),
    addrA: `${subnet}.1`,
    addrB: `${subnet}.2`,
    dir: join(tmpdir(), `${tag}-${id}`),
  }
  process.on('exit', () => {
    for (const ns of [net.a, net.b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
    rmSync(net.dir, { recursive: true, force: true })
  })
  process.on('SIGINT', () => process.exit(130))
  process.on('SIGTERM', () => process.exit(143))
  ip('netns', 'add', net.a)
  ip('netns', 'add', net.b)
  ip(
    'link',
    'add',
    net.vethA,
    'netns',
    net.a,
    'type',
    'veth',
    'peer',
    'name',
    net.vethB,
    'netns',
    net.b,
  )
  for (const [ns, dev, addr] of [
    [net.a, net.vethA, net.addrA],
    [net.b, net.vethB, net.addrB],
  ]) {
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev)
    ip('-n', ns, 'link', 'set', dev, 'up')
  }
  // B answers closed ports with ICMP port unreachable: at most one per 100 s, not thousands.
  spawnSync('ip', ['netns', 'exec', net.b, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=100000'])
  mkdirSync(net.dir, { recursive: true })
  net.sender = join(net.dir, 'sender.cjs')
  writeFileSync(
    net.sender,
    `const s = require('node:dgram').createSocket('udp4')
const [dst, n] = [process.argv[2], Number(process.argv[3])]
const p = Buffer.alloc(64, 1)
s.bind(40000, () => {
  let i = 0
  // Spread over the second: n/10 datagrams every 100 ms.
  setInterval(() => { for (let k = 0; k < n / 10; k++) s.send(p, 20000 + (i++ % n), dst) }, 100)
})
`,
  )
  return net
}

/** User + system CPU of a process so far, in clock ticks (0 once it is gone). */
export function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ')
    return Number(parts[11]) + Number(parts[12])
  } catch {
    return 0
  }
}

/** Every process below pid (children of any of its threads, recursively). */
export function descendants(pid) {
  const out = []
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    let kids = ''
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8')
    } catch {
      // the thread ended meanwhile
    }
    for (const k of kids.split(' ').filter(Boolean)) out.push(Number(k), ...descendants(Number(k)))
  }
  return out
}

/** Resolves with the URL `flowscope serve` prints once it listens; rejects if it exits first. */
export function serveUrl(serve) {
  return new Promise((resolve, reject) => {
    let out = ''
    serve.stdout.on('data', (d) => {
      out += d
      const m = /(http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    serve.on('exit', (c) => reject(new Error(`serve exited ${c}`)))
  })
}
