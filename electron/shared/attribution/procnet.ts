/**
 * Linux socket tables and socket owners, read from /proc as nethogs and bandwhich do:
 * `/proc/net/{tcp,tcp6,udp,udp6}` list this network namespace's sockets (addresses, state,
 * inode), and `/proc/PID/fd/*` links named `socket:[INODE]` tell which process holds each one.
 * /proc/net is /proc/self/net, so the tables are those of the namespace this process runs in.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { endianness } from 'node:os'
import { formatIPv4, formatIPv6 } from '../decode/address'

export type SocketProtocol = 'tcp' | 'udp'

export interface SocketEntry {
  protocol: SocketProtocol
  localAddress: string
  localPort: number
  /** '0.0.0.0' / '::' with port 0 when unconnected (listening TCP, unconnected UDP). */
  remoteAddress: string
  remotePort: number
  /** Kernel state number (TCP: 1 ESTABLISHED ... 10 LISTEN; UDP: 7 unconnected, 1 connected). */
  state: number
  uid: number
  /** 0 once no file refers to the socket (TIME_WAIT, orphaned, not yet accepted). */
  inode: number
}

export interface Owner {
  pid: number
  /** The process's command name (/proc/PID/comm, as ss and top show it). */
  name: string
}

const littleEndian = endianness() === 'LE'

/** One 32-bit word as /proc prints it (%08X of the in-memory value) back to network order. */
function word(hex: string, at: number): number {
  const v = parseInt(hex.slice(at, at + 8), 16)
  if (!littleEndian) return v >>> 0
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0
}

/** Address as the capture prints it: IPv4-mapped IPv6 (a dual-stack socket's IPv4 peer) as IPv4. */
function address(hex: string): string {
  if (hex.length === 8) return formatIPv4(word(hex, 0))
  const w = [word(hex, 0), word(hex, 8), word(hex, 16), word(hex, 24)]
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return formatIPv4(w[3]!)
  return formatIPv6(w)
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} table; malformed lines are skipped. */
export function parseSocketTable(text: string, protocol: SocketProtocol): SocketEntry[] {
  const out: SocketEntry[] = []
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/)
    if (f.length < 10) continue
    const local = f[1]!
    const remote = f[2]!
    const lc = local.indexOf(':')
    const rc = remote.indexOf(':')
    if (lc < 0 || rc < 0 || (lc !== 8 && lc !== 32)) continue
    out.push({
      protocol,
      localAddress: address(local.slice(0, lc)),
      localPort: parseInt(local.slice(lc + 1), 16),
      remoteAddress: address(remote.slice(0, rc)),
      remotePort: parseInt(remote.slice(rc + 1), 16),
      state: parseInt(f[3]!, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    })
  }
  return out
}

const TABLES: [string, SocketProtocol][] = [
  ['tcp', 'tcp'],
  ['tcp6', 'tcp'],
  ['udp', 'udp'],
  ['udp6', 'udp'],
]

/** Every TCP and UDP socket of this network namespace. A missing table (no IPv6) is empty. */
export function readSocketTables(procRoot = '/proc'): SocketEntry[] {
  const out: SocketEntry[] = []
  for (const [file, protocol] of TABLES) {
    let text: string
    try {
      text = readFileSync(`${procRoot}/net/${file}`, 'latin1')
    } catch {
      continue
    }
    for (const e of parseSocketTable(text, protocol)) out.push(e)
  }
  return out
}

export interface OwnerScan {
  /** Socket inode -> the process holding it (the lowest PID when several share it). */
  owners: Map<number, Owner>
  /** Processes whose fd directory could not be read (another user's, without root). */
  denied: number
  processes: number
}

/**
 * Walks /proc/PID/fd of every process. Processes that vanish mid-walk are skipped; those whose
 * fds we may not read are counted, so the caller can say that some owners are invisible.
 */
export function scanSocketOwners(procRoot = '/proc'): OwnerScan {
  const owners = new Map<number, Owner>()
  let denied = 0
  let processes = 0
  let pids: string[]
  try {
    pids = readdirSync(procRoot)
  } catch {
    return { owners, denied, processes }
  }
  for (const p of pids) {
    const c = p.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const pid = Number(p)
    const dir = `${procRoot}/${p}/fd`
    let fds: string[]
    try {
      fds = readdirSync(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') denied++
      continue
    }
    processes++
    let name: string | null = null
    for (const fd of fds) {
      let link: string
      try {
        link = readlinkSync(`${dir}/${fd}`)
      } catch {
        continue
      }
      // "socket:[12345]"
      if (link.charCodeAt(0) !== 115 || !link.startsWith('socket:[')) continue
      const inode = Number(link.slice(8, -1))
      if (owners.has(inode)) continue
      name ??= commOf(procRoot, p)
      if (name === null) break // exited meanwhile
      owners.set(inode, { pid, name })
    }
  }
  return { owners, denied, processes }
}

function commOf(procRoot: string, pid: string): string | null {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').replace(/\n$/, '')
  } catch {
    return null
  }
}
