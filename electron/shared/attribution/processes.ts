/**
 * Which local process owns each conversation. Socket tables are joined to socket owners (see
 * procnet.ts) and the answers kept in bounded maps that outlive the sockets, so a conversation
 * whose program has exited (its socket in TIME_WAIT, inode 0) still carries the program's name.
 *
 * Refreshing costs a walk of every process's fds, so it happens only when needed: when a tick
 * brings a conversation never tried before (at most once per tick), and, while `watch()` runs,
 * when new conversations appear and the socket tables show a socket whose owner is not known yet
 * (that is what catches a program that lives for less than a tick).
 */
import { networkInterfaces } from 'node:os'
import { Lru } from './lru'
import {
  readSocketTables,
  scanSocketOwners,
  type Owner,
  type SocketEntry,
  type SocketProtocol,
} from './procnet'

export interface ProcessMatch extends Owner {
  /** Which endpoint of the conversation is the owner's socket. */
  side: 'a' | 'b'
}

export interface ConversationKey {
  protocol: string
  address_a: string
  port_a: number | null
  address_b: string
  port_b: number | null
}

export interface ProcessAttributorOptions {
  procRoot?: string
  /** Remembered sockets (connected tuples and bound ports); default 131072. */
  maxSockets?: number
  /** Remembered conversation answers (including "unknown"); default 131072. */
  maxConversations?: number
}

export interface ProcessStats {
  refreshes: number
  ownerScans: number
  /** Processes whose sockets were invisible to us at the last owner scan (no rights). */
  denied: number
}

const key5 = (p: string, la: string, lp: number, ra: string, rp: number) =>
  `${p}|${la}|${lp}|${ra}|${rp}`
const key3 = (p: string, a: string, port: number) => `${p}|${a}|${port}`
const UNSPECIFIED = new Set(['0.0.0.0', '::'])

/** What `watch()` keeps: the count last read for, the newest one, when the next read may run. */
interface Watching {
  intervalMs: number
  seen: number
  latest: number
  nextMs: number
}

export class ProcessAttributor {
  private readonly procRoot: string
  /** Connected sockets by local+remote endpoint: alive or closed since. */
  private readonly connected: Lru<string, Owner>
  /** Bound sockets (listening TCP, unconnected UDP) by local address (or '*') and port. */
  private readonly bound: Lru<string, Owner>
  /** Conversation key -> answer (null: tried, nobody found). */
  private readonly answers: Lru<string, ProcessMatch | null>
  private owners = new Map<number, Owner>()
  /** Sockets the last fd walk found no owner for (another user's, without root): not re-walked for. */
  private unowned = new Set<number>()
  private localAddresses = new Set<string>()
  private refreshedThisTick = false
  private timer: NodeJS.Timeout | null = null
  private watching: Watching | null = null
  readonly stats: ProcessStats = { refreshes: 0, ownerScans: 0, denied: 0 }

  constructor(options: ProcessAttributorOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc'
    this.connected = new Lru(options.maxSockets ?? 131072)
    this.bound = new Lru(options.maxSockets ?? 131072)
    this.answers = new Lru(options.maxConversations ?? 131072)
    this.readLocalAddresses()
  }

  /**
   * Reads the socket tables; walks the fds only if a socket with an unknown owner is there.
   * Every socket whose owner is known is (re)remembered under its endpoints.
   */
  refresh(): void {
    this.stats.refreshes++
    const sockets = readSocketTables(this.procRoot)
    const isNew = (s: SocketEntry) =>
      s.inode !== 0 && !this.owners.has(s.inode) && !this.unowned.has(s.inode)
    if (sockets.some(isNew)) {
      const scan = scanSocketOwners(this.procRoot)
      this.owners = scan.owners
      this.unowned = new Set(
        sockets.filter((s) => s.inode !== 0 && !scan.owners.has(s.inode)).map((s) => s.inode),
      )
      this.stats.ownerScans++
      this.stats.denied = scan.denied
      this.readLocalAddresses()
    }
    for (const s of sockets) this.remember(s)
  }

  private remember(s: SocketEntry): void {
    if (s.inode === 0) return
    const owner = this.owners.get(s.inode)
    if (!owner) return
    if (s.remotePort !== 0 || !UNSPECIFIED.has(s.remoteAddress)) {
      this.connected.set(
        key5(s.protocol, s.localAddress, s.localPort, s.remoteAddress, s.remotePort),
        owner,
      )
    } else {
      const local = UNSPECIFIED.has(s.localAddress) ? '*' : s.localAddress
      this.bound.set(key3(s.protocol, local, s.localPort), owner)
    }
  }

  private readLocalAddresses(): void {
    const set = new Set<string>()
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) set.add(a.address.replace(/%.*$/, ''))
    this.localAddresses = set
  }

  private isLocal(address: string): boolean {
    return this.localAddresses.has(address) || address.startsWith('127.') || address === '::1'
  }

  /** The owner of one endpoint's socket, by exact tuple first, then by bound port. */
  private find(p: SocketProtocol, la: string, lp: number, ra: string, rp: number): Owner | null {
    return (
      this.connected.get(key5(p, la, lp, ra, rp)) ??
      this.bound.get(key3(p, la, lp)) ??
      (this.isLocal(la) ? this.bound.get(key3(p, '*', lp)) : undefined) ??
      null
    )
  }

  private match(c: ConversationKey): ProcessMatch | null {
    const p = c.protocol
    if ((p !== 'tcp' && p !== 'udp') || c.port_a === null || c.port_b === null) return null
    const a = this.find(p, c.address_a, c.port_a, c.address_b, c.port_b)
    if (a) return { ...a, side: 'a' }
    const b = this.find(p, c.address_b, c.port_b, c.address_a, c.port_a)
    return b ? { ...b, side: 'b' } : null
  }

  /** Starts a new tick: the next unknown conversation may refresh once more. */
  tick(): void {
    this.refreshedThisTick = false
  }

  /**
   * The owner of a conversation, or null ("unknown"). A conversation never tried before that
   * matches nothing refreshes the tables, at most once per tick.
   */
  lookup(c: ConversationKey): ProcessMatch | null {
    const k = key5(c.protocol, c.address_a, c.port_a ?? -1, c.address_b, c.port_b ?? -1)
    const known = this.answers.get(k)
    if (known) return known
    let found = this.match(c)
    if (!found && known === undefined && !this.refreshedThisTick && this.matchable(c)) {
      this.refreshedThisTick = true
      this.refresh()
      found = this.match(c)
    }
    this.answers.set(k, found)
    return found
  }

  private matchable(c: ConversationKey): boolean {
    return (c.protocol === 'tcp' || c.protocol === 'udp') && c.port_a !== null && c.port_b !== null
  }

  /**
   * Keeps the socket tables fresh while a capture runs, so a socket is tied to its program while
   * the program lives (one that ends between ticks is still named). The capture calls `seen()`
   * after each batch of packets; nothing else wakes the thread, so an idle capture costs nothing
   * here. The fd walk still runs only for sockets not seen before.
   */
  watch(intervalMs = 200): void {
    this.unwatch()
    this.watching = { intervalMs, seen: -1, latest: -1, nextMs: 0 }
  }

  /**
   * `conversations`: how many the capture has seen so far. A new count reads the tables at once,
   * or once `intervalMs` has passed since the last read. While it stands still nothing is read:
   * reading walks the kernel's socket hashes, and a program the capture has not seen talk needs
   * no name yet. A read that took long spaces out the next (at most a tenth of the thread).
   */
  seen(conversations: number): void {
    const w = this.watching
    if (!w) return
    w.latest = conversations
    if (conversations === w.seen || this.timer) return
    const wait = w.nextMs - performance.now()
    if (wait <= 0) return this.poll(w)
    this.timer = setTimeout(() => {
      this.timer = null
      this.poll(w)
    }, wait)
    this.timer.unref()
  }

  private poll(w: Watching): void {
    w.seen = w.latest
    const t0 = performance.now()
    this.refresh()
    const now = performance.now()
    w.nextMs = now + Math.max(w.intervalMs, (now - t0) * 10)
  }

  unwatch(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.watching = null
  }
}
