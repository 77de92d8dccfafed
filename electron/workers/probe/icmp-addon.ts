import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

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

export interface IcmpAddon {
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

/** Looks for the built addon above this module (source tree or out/main) and the working dir. */
export function findAddon(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.FLOWSCOPE_ICMP_ADDON)
    return existsSync(env.FLOWSCOPE_ICMP_ADDON) ? env.FLOWSCOPE_ICMP_ADDON : null
  const starts = [typeof __dirname === 'string' ? __dirname : null, process.cwd()].filter(
    (s): s is string => s !== null,
  )
  for (const start of starts) {
    let dir = start
    for (let i = 0; i < 6; i++) {
      const candidate = join(dir, ADDON)
      if (existsSync(candidate)) return candidate
      const up = dirname(dir)
      if (up === dir) break
      dir = up
    }
  }
  return null
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
  const mod = { exports: {} as IcmpAddon }
  process.dlopen(mod, file)
  loaded = mod.exports
  return loaded
}

/** Turns the addon's socket() failure into what the operator can do about it. */
export function explainOpenError(err: unknown): IcmpUnavailableError {
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'EPERM' || e?.code === 'EACCES') {
    return new IcmpUnavailableError(
      'cannot open an ICMP socket: no raw socket rights (root or CAP_NET_RAW) and unprivileged ping ' +
        'sockets are not allowed for this group; enable one of: ' +
        '`sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"` or ' +
        '`sudo setcap cap_net_raw+ep "$(readlink -f "$(which node)")"`',
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
