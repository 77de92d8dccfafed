import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** One echo reply as the fsp_icmp addon reports it. */
export interface IcmpReply {
  from: string
  /** 16-bit echo sequence number on the wire. */
  seq: number
  /** Receive time, CLOCK_REALTIME µs: the kernel's timestamp when kernel_ts is true. */
  rx_us: number
  kernel_ts: boolean
  payload: Buffer
}

/** native/icmp/src/icmp.cc */
export interface IcmpSocketHandle {
  readonly kind: 'raw' | 'dgram'
  /** Echo identifier on the wire (raw: random; dgram: the kernel's, i.e. the socket's port). */
  readonly ident: number
  readonly timestamps: 'ns' | 'us' | 'none'
  /** Returns the send time, CLOCK_REALTIME µs (same clock as rx_us). Throws errno errors. */
  send(address: string, seq: number, payload: Buffer): number
  close(): void
}

/** TCP_INFO of a TCP socket (native/icmp/src/tcp_info.cc); fields as in linux/tcp.h. */
export interface TcpInfo {
  state: number
  rtt_us: number
  rttvar_us: number
  total_retrans: number
}

export interface IcmpAddon {
  /** Throws errno errors (ENOTSOCK, EBADF...). */
  tcpInfo(fd: number): TcpInfo
  IcmpSocket: new (
    family: 4 | 6,
    mode: 'auto' | 'raw' | 'dgram',
    onReplies: (replies: IcmpReply[]) => void,
  ) => IcmpSocketHandle
}

/** An ICMP problem the operator must fix; the message says how. */
export class IcmpUnavailableError extends Error {
  override name = 'IcmpUnavailableError'
  constructor(
    message: string,
    readonly code: 'PERMISSION_DENIED' | 'UNAVAILABLE',
  ) {
    super(message)
  }
}

const ADDON = join('native', 'icmp', 'build', 'Release', 'fsp_icmp.node')

/**
 * Where the addon may be, relative to this module and nowhere else: the bundle (out/main/probe.js,
 * two levels below the app root, inside app.asar whose unpacked .node files Electron maps) and the
 * source tree (electron/workers/probe/, three levels below; tests). Never the working directory
 * and never a walk up the tree: a file planted in either would be code run with our rights.
 * FLOWSCOPE_ICMP_ADDON is a path the user's own environment names (as trusted as the process).
 */
export function addonCandidates(from: string = __dirname): string[] {
  return [join(from, '..', '..', ADDON), join(from, '..', '..', '..', ADDON)]
}

/** The addon's path, or null when it is not built. */
export function findAddon(env: NodeJS.ProcessEnv = process.env, from?: string): string | null {
  if (env.FLOWSCOPE_ICMP_ADDON)
    return existsSync(env.FLOWSCOPE_ICMP_ADDON) ? env.FLOWSCOPE_ICMP_ADDON : null
  return addonCandidates(from).find((c) => existsSync(c)) ?? null
}

let loaded: IcmpAddon | null = null

export function loadAddon(): IcmpAddon {
  if (loaded) return loaded
  if (process.platform !== 'linux') {
    throw new IcmpUnavailableError(
      `icmp:// probes are supported on Linux only (this is ${process.platform})`,
      'UNAVAILABLE',
    )
  }
  const file = findAddon()
  if (!file)
    throw new IcmpUnavailableError(
      'the ICMP addon is not built: run `npm run build:native`',
      'UNAVAILABLE',
    )
  // A file anyone may rewrite is not ours any more, whatever its path.
  if ((statSync(file).mode & 0o002) !== 0)
    throw new IcmpUnavailableError(
      `refusing to load ${file}: it is world-writable (chmod o-w it, or rebuild with \`npm run build:native\`)`,
      'UNAVAILABLE',
    )
  const mod = { exports: {} as IcmpAddon }
  process.dlopen(mod, file)
  loaded = mod.exports
  return loaded
}

/** What decides whether this process may open a ping socket (read at the time of the error). */
export interface PingFacts {
  /** net.ipv4.ping_group_range of this network namespace, e.g. '1 0' (null: unreadable). */
  range: string | null
  gid: number
  groups: number[]
}

const RANGE_FILE = '/proc/sys/net/ipv4/ping_group_range'

function currentFacts(): PingFacts {
  let range: string | null = null
  try {
    range = readFileSync(RANGE_FILE, 'utf8').trim().replace(/\s+/g, ' ')
  } catch {
    // not Linux, or /proc not mounted: say so below
  }
  return { range, gid: process.getgid?.() ?? -1, groups: process.getgroups?.() ?? [] }
}

/**
 * Why ping sockets are refused, and the narrowest change that allows them: the sysctl's current
 * value, our groups, and a range that adds our primary group to the current one.
 */
export function pingSocketAdvice(facts: PingFacts): string {
  const groups = [...new Set([facts.gid, ...facts.groups])].filter((g) => g >= 0)
  const ours = `gid ${facts.gid}${groups.length > 1 ? ` (groups ${groups.join(', ')})` : ''}`
  const m = facts.range ? /^(\d+) (\d+)$/.exec(facts.range) : null
  if (!m) {
    return `unprivileged ICMP (ping) sockets are refused and ${RANGE_FILE} is unreadable here; allow them for ${ours} with \`sudo sysctl -w net.ipv4.ping_group_range="${facts.gid} ${facts.gid}"\`, or run as root`
  }
  const lo = Number(m[1])
  const hi = Number(m[2])
  const off = lo > hi
  const wanted = off
    ? `${facts.gid} ${facts.gid}`
    : `${Math.min(lo, facts.gid)} ${Math.max(hi, facts.gid)}`
  const state = off
    ? `net.ipv4.ping_group_range is "${facts.range}" (off for every group)`
    : `net.ipv4.ping_group_range is "${facts.range}", which leaves out ${ours}`
  return (
    `unprivileged ICMP (ping) sockets are refused: ${state}; allow them with ` +
    `\`sudo sysctl -w net.ipv4.ping_group_range="${wanted}"\` ` +
    `(to keep it across reboots: \`echo 'net.ipv4.ping_group_range = ${wanted}' | sudo tee /etc/sysctl.d/60-flowscope-ping.conf\`), ` +
    `or run as root`
  )
}

/** Turns the addon's socket() failure into what the operator can do about it. */
export function explainOpenError(
  err: unknown,
  facts: () => PingFacts = currentFacts,
): IcmpUnavailableError {
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'EPERM' || e?.code === 'EACCES') {
    return new IcmpUnavailableError(
      `cannot open an ICMP socket: ${pingSocketAdvice(facts())}`,
      'PERMISSION_DENIED',
    )
  }
  if (e?.code === 'EAFNOSUPPORT')
    return new IcmpUnavailableError(
      'ICMP: this address family is not supported by the kernel',
      'UNAVAILABLE',
    )
  return new IcmpUnavailableError(
    `cannot open an ICMP socket: ${e?.message ?? String(err)}`,
    'UNAVAILABLE',
  )
}
