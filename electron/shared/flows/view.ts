/**
 * The Connections page's view applied to the whole flow table where the flows live (the capture
 * worker): filter, aggregation (conversation, host, source, destination, process, service; with
 * or without ports), sort and the window of rows the page shows. Only that window goes out, so a
 * tick stays small at any table size and a search finds every conversation.
 *
 * Cost per tick at n flows: one pass computing each flow's sort value into reused typed arrays
 * (no object per flow, except one cached per flow for its lifetime), then a quickselect of the
 * first offset+limit and a sort of that prefix only. Groups allocate one accumulator per group.
 */
import type {
  ConnectionsView,
  RateWindows,
  ViewResult,
  ViewRow,
  ViewSortKey,
} from '../../../common/capture'
import type { AttributionFields } from '../attribution'
import type { Flow } from './flow'

/** A conversation's 5-tuple with the fields attribution sets on it. */
export interface Annotated extends AttributionFields {
  protocol: string
  address_a: string
  port_a: number | null
  address_b: string
  port_b: number | null
}

/** Sets attribution fields on each item in place (shared/attribution's Attribution.annotate). */
export type Annotate = (items: Annotated[]) => void

/** What the view needs of the capture clock (the snapshot's seconds). */
export interface ViewClock {
  nowSec: number
  startSec: number
}

/** Ticks between attribution refreshes of a flow's cached answer (names arrive late). */
const ATTR_REFRESH_TICKS = 5

interface FlowInfo {
  key: string
  endA: string
  endB: string
  attr: Annotated | null
  attrTick: number
  hay: string | null
  /** Group keys for `gmode` (aggregation + ports + attribution tick), so a tick allocates none. */
  gmode: string
  g1: string
  g2: string | null
  swap1: boolean
  /** ab s2 s10 s40, ba s2 s10 s40, peak (both) as of tick `ratesTick`. */
  rates: Float64Array | null
  ratesTick: number
}

const ATTR_SORTS = new Set<ViewSortKey>(['process', 'service', 'country', 'asn'])
const STRING_SORTS = new Set<ViewSortKey>(['protocol', 'a', 'b', 'process', 'service', 'country'])

export const endpoint = (address: string, port: number | null): string =>
  port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`

/** One group's running totals. Directions: out of the group (ab) and into it (ba). */
interface Acc {
  key: string
  flows: number
  protocol: string | null
  a: string
  portA: number | null
  b: string | null
  portB: number | null
  pAB: number
  bAB: number
  pBA: number
  bBA: number
  r: [number, number, number, number, number, number] // ab s2 s10 s40, ba s2 s10 s40
  /** The tick that last saw a member. */
  seen: number
  peak: number
  retx: number
  rtt: number | null
  first: number
  last: number
  /** A member flow and which of its ends is the group's (a), for the group's attribution. */
  rep: Flow
  repSwap: boolean
  process: string | null
  pid: number | null
  service: string | null
}

export class FlowView {
  private readonly info = new WeakMap<Flow, FlowInfo>()
  private tickNo = 0
  private idx = new Uint32Array(1024)
  private num = new Float64Array(1024)
  private tie = new Float64Array(1024)
  private str: (string | null)[] = []
  /** Group accumulators, kept from tick to tick (reset, not reallocated) while the mode holds. */
  private accs = new Map<string, Acc>()
  private accMode = ''

  constructor(private readonly annotate: Annotate | null = null) {}

  apply(flows: Iterable<Flow>, clock: ViewClock, view: ConnectionsView): ViewResult {
    this.tickNo++
    const words = view.filter.toLowerCase().split(/\s+/).filter(Boolean)
    const needAttr =
      this.annotate !== null &&
      (words.length > 0 ||
        ATTR_SORTS.has(view.sort) ||
        view.group === 'process' ||
        view.group === 'service')
    const list: Flow[] = []
    for (const f of flows) list.push(f)
    if (needAttr) this.refreshAttr(list)
    const byFlow = view.group === 'conversation' && view.ports
    return byFlow
      ? this.conversations(list, clock, view, words)
      : this.groups(list, clock, view, words)
  }

  private infoOf(f: Flow): FlowInfo {
    let i = this.info.get(f)
    if (!i) {
      const endA = endpoint(f.addressA, f.portA)
      const endB = endpoint(f.addressB, f.portB)
      i = {
        key: `c|${f.protocol}|${endA}|${endB}`,
        endA,
        endB,
        attr: null,
        attrTick: 0,
        hay: null,
        gmode: '',
        g1: '',
        g2: null,
        swap1: false,
        rates: null,
        ratesTick: 0,
      }
      this.info.set(f, i)
    }
    return i
  }

  /** Annotates, in one call, the flows whose cached attribution is missing or old. */
  private refreshAttr(list: readonly Flow[], force = false): void {
    if (!this.annotate) return
    const stale: Annotated[] = []
    for (const f of list) {
      const i = this.infoOf(f)
      if (!force && i.attr && this.tickNo - i.attrTick < ATTR_REFRESH_TICKS) continue
      i.attr ??= {
        protocol: f.protocol,
        address_a: f.addressA,
        port_a: f.portA,
        address_b: f.addressB,
        port_b: f.portB,
      }
      i.attrTick = this.tickNo
      i.hay = null
      stale.push(i.attr)
    }
    if (stale.length > 0) this.annotate(stale)
  }

  private matches(f: Flow, words: string[]): boolean {
    if (words.length === 0) return true
    const i = this.infoOf(f)
    if (i.hay === null) {
      const a = i.attr
      i.hay = [
        f.protocol,
        i.endA,
        i.endB,
        a?.process,
        a?.pid,
        a?.service,
        a?.name_a,
        a?.name_b,
        a?.country_a,
        a?.country_b,
        a?.asn_a != null ? `as${a.asn_a}` : null,
        a?.asn_b != null ? `as${a.asn_b}` : null,
        a?.as_org_a,
        a?.as_org_b,
      ]
        .filter((x) => x !== null && x !== undefined && x !== '')
        .join(' ')
        .toLowerCase()
    }
    for (const w of words) if (!i.hay.includes(w)) return false
    return true
  }

  private grow(n: number): void {
    if (this.idx.length >= n) return
    const size = Math.max(n, this.idx.length * 2)
    this.idx = new Uint32Array(size)
    this.num = new Float64Array(size)
    this.tie = new Float64Array(size)
  }

  // ---- one row per conversation --------------------------------------------------------------

  private conversations(
    list: Flow[],
    clock: ViewClock,
    view: ConnectionsView,
    words: string[],
  ): ViewResult {
    this.grow(list.length)
    const { idx, num, tie } = this
    const isStr = STRING_SORTS.has(view.sort)
    const str = this.str
    str.length = list.length
    let m = 0
    let selected: Flow | null = null
    for (let k = 0; k < list.length; k++) {
      const f = list[k]!
      if (view.selected !== null && selected === null && this.infoOf(f).key === view.selected)
        selected = f
      if (!this.matches(f, words)) continue
      idx[m++] = k
      tie[k] = f.bytesAB + f.bytesBA
      if (isStr) str[k] = this.flowStr(f, view.sort)
      else num[k] = this.flowNum(f, clock, view.sort)
    }
    const chosen = this.window(
      m,
      view,
      isStr,
      (k) => this.infoOf(list[k]!).key,
      (k) => list[k]!.firstUs,
    )
    const visible = chosen.indices.map((k) => list[k]!)
    const gone = chosen.gone
    if (selected) visible.push(selected)
    this.refreshAttr(visible, true)
    const rows = chosen.indices.map((k) => this.flowRow(list[k]!, clock))
    return {
      flows: list.length,
      matched: m,
      offset: chosen.offset,
      rows,
      selected: selected ? this.flowRow(selected, clock) : null,
      ...(gone.length > 0 && { pinned_gone: gone }),
    }
  }

  private flowNum(f: Flow, c: ViewClock, sort: ViewSortKey): number {
    const { nowSec: n, startSec: s } = c
    switch (sort) {
      case 'ab2':
        return f.rate(0, n, s, 2)
      case 'ab10':
        return f.rate(0, n, s, 10)
      case 'ab40':
        return f.rate(0, n, s, 40)
      case 'ba2':
        return f.rate(1, n, s, 2)
      case 'ba10':
        return f.rate(1, n, s, 10)
      case 'ba40':
        return f.rate(1, n, s, 40)
      case 'rate2':
        return f.rate(0, n, s, 2) + f.rate(1, n, s, 2)
      case 'rate10':
        return f.score(n, s)
      case 'rate40':
        return f.rate(0, n, s, 40) + f.rate(1, n, s, 40)
      case 'peak':
        return f.peak(0, n, s) + f.peak(1, n, s)
      case 'total':
        return f.bytesAB + f.bytesBA
      case 'retx':
        return f.tcp?.retransmissions ?? 0
      case 'rtt':
        return f.tcp?.handshakeRttMs ?? -1
      case 'flows':
        return 1
      case 'first':
        return f.firstUs
      case 'last':
        return f.lastUs
      case 'asn': {
        const a = this.infoOf(f).attr
        return a?.asn_b ?? a?.asn_a ?? -1
      }
      default:
        return 0
    }
  }

  private flowStr(f: Flow, sort: ViewSortKey): string | null {
    const i = this.infoOf(f)
    switch (sort) {
      case 'protocol':
        return f.protocol
      case 'a':
        return i.endA
      case 'b':
        return i.endB
      case 'process':
        return i.attr?.process ?? null
      case 'service':
        return i.attr?.service ?? null
      case 'country':
        return i.attr?.country_b ?? i.attr?.country_a ?? null
      default:
        return null
    }
  }

  private flowRow(f: Flow, c: ViewClock): ViewRow {
    const i = this.infoOf(f)
    const { nowSec: n, startSec: s } = c
    const a = i.attr
    return {
      key: i.key,
      flows: 1,
      protocol: f.protocol,
      a: f.addressA,
      port_a: f.portA,
      b: f.addressB,
      port_b: f.portB,
      packets_a_to_b: f.packetsAB,
      bytes_a_to_b: f.bytesAB,
      packets_b_to_a: f.packetsBA,
      bytes_b_to_a: f.bytesBA,
      rate_a_to_b_bps: windows(f, 0, n, s),
      rate_b_to_a_bps: windows(f, 1, n, s),
      peak_bps: f.peak(0, n, s) + f.peak(1, n, s),
      retransmissions: f.tcp?.retransmissions ?? 0,
      handshake_rtt_ms: f.tcp?.handshakeRttMs ?? null,
      first_seen_us: f.firstUs,
      last_seen_us: f.lastUs,
      ...(a && attrFields(a)),
    }
  }

  // ---- groups --------------------------------------------------------------------------------

  private groups(
    list: Flow[],
    clock: ViewClock,
    view: ConnectionsView,
    words: string[],
  ): ViewResult {
    const mode = `${view.group}|${view.ports}`
    if (mode !== this.accMode) {
      this.accs.clear()
      this.accMode = mode
    }
    const groups = this.accs
    for (const acc of groups.values()) resetAcc(acc)
    const tick = this.tickNo
    let selected: Acc | null = null
    const accs: Acc[] = []
    const visit = (f: Flow, key: string, swap: boolean, hit: boolean) => {
      let acc = groups.get(key)
      if (!acc) {
        acc = newAcc(key, f, swap, view)
        groups.set(key, acc)
      }
      if (acc.seen !== tick) {
        acc.seen = tick
        acc.rep = f
        acc.repSwap = swap
      }
      // A group's totals count its matching members only; with no filter all of them.
      if (hit) {
        if (acc.flows === 0) accs.push(acc)
        this.addTo(acc, f, swap, clock)
      }
      if (key === view.selected) selected = acc
    }
    for (const f of list) {
      const hit = this.matches(f, words)
      const i = this.groupInfo(f, view)
      visit(f, i.g1, i.swap1, hit)
      if (i.g2 !== null) visit(f, i.g2, !i.swap1, hit)
    }
    // Groups no member of which is left go (the map is bounded by the table).
    for (const [k, acc] of groups) if (acc.seen !== tick) groups.delete(k)
    this.grow(accs.length)
    const { idx, num, tie } = this
    const isStr = STRING_SORTS.has(view.sort)
    const str = this.str
    str.length = accs.length
    for (let k = 0; k < accs.length; k++) {
      const acc = accs[k]!
      idx[k] = k
      tie[k] = acc.bAB + acc.bBA
      if (isStr) str[k] = accStr(acc, view.sort, this.infoOf(acc.rep).attr)
      else num[k] = accNum(acc, view.sort, this.infoOf(acc.rep).attr)
    }
    const chosen = this.window(
      accs.length,
      view,
      isStr,
      (k) => accs[k]!.key,
      (k) => accs[k]!.first,
    )
    const shown = chosen.indices.map((k) => accs[k]!)
    if (selected) shown.push(selected)
    this.refreshAttr(
      shown.map((a) => a.rep),
      true,
    )
    return {
      flows: list.length,
      matched: accs.length,
      offset: chosen.offset,
      rows: chosen.indices.map((k) => this.accRow(accs[k]!, view)),
      selected: selected ? this.accRow(selected, view) : null,
      ...(chosen.gone.length > 0 && { pinned_gone: chosen.gone }),
    }
  }

  /**
   * The group(s) a flow belongs to (g2: a host aggregation's other end) and whether its B end is
   * the group's own end; cached per flow while the mode (and its attribution) stays the same.
   */
  private groupInfo(f: Flow, view: ConnectionsView): FlowInfo {
    const i = this.infoOf(f)
    const byAttr = view.group === 'process' || view.group === 'service'
    const mode = `${view.group}|${view.ports}${byAttr ? `|${i.attrTick}` : ''}`
    if (i.gmode === mode) return i
    i.gmode = mode
    i.g2 = null
    i.swap1 = false
    const p = view.ports
    const hostA = p ? i.endA : f.addressA
    const hostB = p ? i.endB : f.addressB
    switch (view.group) {
      case 'host':
        i.g1 = `h|${hostA}`
        if (hostA !== hostB) i.g2 = `h|${hostB}`
        break
      case 'source':
        i.g1 = `s|${hostA}`
        break
      case 'destination':
        i.g1 = `d|${hostB}`
        i.swap1 = true
        break
      case 'process': {
        const a = i.attr
        i.g1 = a?.process ? `p|${a.process}|${a.pid ?? ''}` : 'p|'
        i.swap1 = a?.process_side === 'b'
        break
      }
      case 'service':
        i.g1 = `v|${i.attr?.service ?? ''}`
        break
      default: {
        // A conversation without ports: the host pair, lower address first.
        const swap = f.addressB < f.addressA
        i.g1 = `n|${swap ? f.addressB : f.addressA}|${swap ? f.addressA : f.addressB}`
        i.swap1 = swap
      }
    }
    return i
  }

  /** The flow's rates this tick (computed once even when it counts in two groups). */
  private ratesOf(f: Flow, c: ViewClock): Float64Array {
    const i = this.infoOf(f)
    let r = i.rates
    if (r !== null && i.ratesTick === this.tickNo) return r
    r ??= i.rates = new Float64Array(7)
    i.ratesTick = this.tickNo
    const { nowSec: n, startSec: s } = c
    // Quiet for longer than the longest window: every rate is 0 without reading the ring.
    if (f.lastUs < (n - 41) * 1e6) {
      r.fill(0)
      return r
    }
    r[0] = f.rate(0, n, s, 2)
    r[1] = f.rate(0, n, s, 10)
    r[2] = f.rate(0, n, s, 40)
    r[3] = f.rate(1, n, s, 2)
    r[4] = f.rate(1, n, s, 10)
    r[5] = f.rate(1, n, s, 40)
    r[6] = f.peak(0, n, s) + f.peak(1, n, s)
    return r
  }

  private addTo(acc: Acc, f: Flow, swap: boolean, c: ViewClock): void {
    const r = this.ratesOf(f, c)
    const o = swap ? 3 : 0
    const n = swap ? 0 : 3
    acc.r[0] += r[o]!
    acc.r[1] += r[o + 1]!
    acc.r[2] += r[o + 2]!
    acc.r[3] += r[n]!
    acc.r[4] += r[n + 1]!
    acc.r[5] += r[n + 2]!
    acc.peak += r[6]!
    acc.protocol = acc.flows === 0 || acc.protocol === f.protocol ? f.protocol : null
    acc.flows++
    acc.pAB += swap ? f.packetsBA : f.packetsAB
    acc.bAB += swap ? f.bytesBA : f.bytesAB
    acc.pBA += swap ? f.packetsAB : f.packetsBA
    acc.bBA += swap ? f.bytesAB : f.bytesBA
    acc.retx += f.tcp?.retransmissions ?? 0
    const rtt = f.tcp?.handshakeRttMs ?? null
    if (rtt !== null) acc.rtt = acc.rtt === null ? rtt : Math.max(acc.rtt, rtt)
    if (f.firstUs < acc.first) acc.first = f.firstUs
    if (f.lastUs > acc.last) acc.last = f.lastUs
  }

  private accRow(acc: Acc, view: ConnectionsView): ViewRow {
    const attr = this.infoOf(acc.rep).attr
    const side = attr ? sideFields(attr, acc.repSwap) : null
    const row: ViewRow = {
      key: acc.key,
      flows: acc.flows,
      protocol: acc.protocol,
      a: acc.a,
      port_a: acc.portA,
      b: acc.b,
      port_b: acc.portB,
      packets_a_to_b: acc.pAB,
      bytes_a_to_b: acc.bAB,
      packets_b_to_a: acc.pBA,
      bytes_b_to_a: acc.bBA,
      rate_a_to_b_bps: { s2: acc.r[0]!, s10: acc.r[1]!, s40: acc.r[2]! },
      rate_b_to_a_bps: { s2: acc.r[3]!, s10: acc.r[4]!, s40: acc.r[5]! },
      peak_bps: acc.peak,
      retransmissions: acc.retx,
      handshake_rtt_ms: acc.rtt,
      first_seen_us: acc.first === Infinity ? 0 : acc.first,
      last_seen_us: acc.last,
    }
    const g = view.group
    if (g === 'process') {
      row.process = acc.process
      row.pid = acc.pid
    } else if (g === 'service') row.service = acc.service
    else if (side && (g === 'host' || g === 'source' || g === 'destination'))
      Object.assign(row, side)
    else if (attr && g === 'conversation') Object.assign(row, attrFields(attr, acc.repSwap))
    return row
  }

  // ---- ordering ------------------------------------------------------------------------------

  /**
   * Orders idx[0..m) just enough for the window: quickselects put the offset-th and the last
   * row of the window in place, then only the window is sorted. Paused (pinned keys): those
   * rows in that order instead.
   */
  private window(
    m: number,
    view: ConnectionsView,
    isStr: boolean,
    keyOf: (k: number) => string,
    firstOf: (k: number) => number,
  ): { indices: number[]; offset: number; gone: string[] } {
    const { idx, num, tie, str } = this
    if (view.pinned) {
      const want = new Map(view.pinned.map((k, i) => [k, i]))
      const found: number[] = new Array<number>(view.pinned.length).fill(-1)
      for (let j = 0; j < m; j++) {
        const at = want.get(keyOf(idx[j]!))
        if (at !== undefined) found[at] = idx[j]!
      }
      return {
        indices: found.filter((k) => k >= 0),
        offset: view.offset,
        gone: view.pinned.filter((_, i) => found[i]! < 0),
      }
    }
    const dir = view.descending ? -1 : 1
    const cmp = (x: number, y: number): number => {
      let d = 0
      if (isStr) {
        const a = str[x] ?? null
        const b = str[y] ?? null
        // Unknown values go last whichever the direction.
        if (a !== b) d = a === null ? 1 : b === null ? -1 : (a < b ? -1 : 1) * dir
      } else d = (num[x]! - num[y]!) * dir
      if (d !== 0) return d
      d = tie[y]! - tie[x]!
      if (d !== 0) return d
      d = firstOf(x) - firstOf(y)
      if (d !== 0) return d
      const kx = keyOf(x)
      const ky = keyOf(y)
      return kx < ky ? -1 : kx > ky ? 1 : 0
    }
    const offset = Math.min(view.offset, Math.max(0, m - 1))
    const end = Math.min(m, offset + view.limit)
    if (end > 0) {
      // Only [offset, end) gets sorted: deep in the table that is the window, not all before it.
      if (offset > 0) quickselect(idx, 0, m - 1, offset, cmp)
      if (end < m) quickselect(idx, offset, m - 1, end - 1, cmp)
      idx.subarray(offset, end).sort(cmp)
    }
    return { indices: Array.from(idx.subarray(offset, end)), offset, gone: [] }
  }
}

function windows(f: Flow, dir: number, n: number, s: number): RateWindows {
  return { s2: f.rate(dir, n, s, 2), s10: f.rate(dir, n, s, 10), s40: f.rate(dir, n, s, 40) }
}

/** Attribution for a row: known values only (a tick carries no nulls for what nobody knows). */
function attrFields(a: Annotated, swap = false): Partial<ViewRow> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(allAttrFields(a, swap))) if (v !== null) out[k] = v
  return out as Partial<ViewRow>
}

function allAttrFields(a: Annotated, swap: boolean): Partial<ViewRow> {
  const x = swap ? 'b' : 'a'
  const y = swap ? 'a' : 'b'
  return {
    process: a.process ?? null,
    pid: a.pid ?? null,
    service: a.service ?? null,
    name_a: a[`name_${x}`] ?? null,
    name_b: a[`name_${y}`] ?? null,
    country_a: a[`country_${x}`] ?? null,
    country_b: a[`country_${y}`] ?? null,
    asn_a: a[`asn_${x}`] ?? null,
    asn_b: a[`asn_${y}`] ?? null,
    as_org_a: a[`as_org_${x}`] ?? null,
    as_org_b: a[`as_org_${y}`] ?? null,
  }
}

/** The group's own end (a host): its name, country and network. */
function sideFields(a: Annotated, swap: boolean): Partial<ViewRow> {
  const f = attrFields(a, swap)
  return { name_a: f.name_a, country_a: f.country_a, asn_a: f.asn_a, as_org_a: f.as_org_a }
}

/** Back to zero for a new tick (its identity, a label and a key, stays). */
function resetAcc(acc: Acc): void {
  acc.flows = 0
  acc.pAB = acc.bAB = acc.pBA = acc.bBA = 0
  acc.r.fill(0)
  acc.peak = 0
  acc.retx = 0
  acc.rtt = null
  acc.first = Infinity
  acc.last = 0
}

function newAcc(key: string, f: Flow, swap: boolean, view: ConnectionsView): Acc {
  const p = view.ports
  const endA = p ? endpoint(f.addressA, f.portA) : f.addressA
  const endB = p ? endpoint(f.addressB, f.portB) : f.addressB
  const acc: Acc = {
    key,
    flows: 0,
    protocol: f.protocol,
    a: '',
    portA: null,
    b: null,
    portB: null,
    pAB: 0,
    bAB: 0,
    pBA: 0,
    bBA: 0,
    r: [0, 0, 0, 0, 0, 0],
    seen: -1,
    peak: 0,
    retx: 0,
    rtt: null,
    first: Infinity,
    last: 0,
    rep: f,
    repSwap: swap,
    process: null,
    pid: null,
    service: null,
  }
  const parts = key.split('|')
  switch (view.group) {
    case 'host':
    case 'source':
    case 'destination':
      acc.a = swap ? endB : endA
      break
    case 'process':
      acc.process = parts[1] || null
      acc.pid = parts[2] ? Number(parts[2]) : null
      acc.a = acc.process ?? 'unknown'
      break
    case 'service':
      acc.service = parts[1] || null
      acc.a = acc.service ?? 'unknown'
      break
    default:
      acc.a = parts[1]!
      acc.b = parts[2]!
  }
  return acc
}

function accNum(acc: Acc, sort: ViewSortKey, attr: Annotated | null): number {
  const r = acc.r
  switch (sort) {
    case 'ab2':
      return r[0]!
    case 'ab10':
      return r[1]!
    case 'ab40':
      return r[2]!
    case 'ba2':
      return r[3]!
    case 'ba10':
      return r[4]!
    case 'ba40':
      return r[5]!
    case 'rate2':
      return r[0]! + r[3]!
    case 'rate10':
      return r[1]! + r[4]!
    case 'rate40':
      return r[2]! + r[5]!
    case 'peak':
      return acc.peak
    case 'total':
      return acc.bAB + acc.bBA
    case 'retx':
      return acc.retx
    case 'rtt':
      return acc.rtt ?? -1
    case 'flows':
      return acc.flows
    case 'first':
      return acc.first
    case 'last':
      return acc.last
    case 'asn':
      return (acc.repSwap ? attr?.asn_b : attr?.asn_a) ?? -1
    default:
      return 0
  }
}

function accStr(acc: Acc, sort: ViewSortKey, attr: Annotated | null): string | null {
  switch (sort) {
    case 'protocol':
      return acc.protocol
    case 'a':
      return acc.a
    case 'b':
      return acc.b
    case 'process':
      return acc.process ?? attr?.process ?? null
    case 'service':
      return acc.service ?? attr?.service ?? null
    case 'country':
      return (acc.repSwap ? attr?.country_b : attr?.country_a) ?? null
    default:
      return null
  }
}

/** Hoare quickselect: afterwards idx[lo..k] hold the k-lo+1 smallest under cmp (unordered). */
function quickselect(
  idx: Uint32Array,
  lo: number,
  hi: number,
  k: number,
  cmp: (x: number, y: number) => number,
): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    // Median of three as the pivot, which keeps sorted input linear.
    if (cmp(idx[mid]!, idx[lo]!) < 0) swap(idx, mid, lo)
    if (cmp(idx[hi]!, idx[lo]!) < 0) swap(idx, hi, lo)
    if (cmp(idx[hi]!, idx[mid]!) < 0) swap(idx, hi, mid)
    const pivot = idx[mid]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (cmp(idx[i]!, pivot) < 0) i++
      while (cmp(idx[j]!, pivot) > 0) j--
      if (i <= j) {
        swap(idx, i, j)
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
}

function swap(a: Uint32Array, i: number, j: number): void {
  const t = a[i]!
  a[i] = a[j]!
  a[j] = t
}
