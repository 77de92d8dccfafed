/**
 * What an alert says beyond "it fired": annotations with the context at that moment — the top
 * conversations on the interface (from the last capture tick), retransmission and drop rates,
 * the probe's recent loss and RTT.
 */
import { ALERT_METRICS, type AlertRule } from '../../../common/alerts'
import { bothWays, type Labels, type LiveSeries } from './series'

const TOP = 3

/** " [firefox 4242]" when the conversation's program is known. */
const owner = (c: { process?: string | null; pid?: number | null }): string =>
  c.process ? ` [${c.process}${c.pid === null || c.pid === undefined ? '' : ` ${c.pid}`}]` : ''

const human = (bps: number): string => {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s']
  let v = bps
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v.toFixed(v < 10 && i > 0 ? 2 : 1).replace(/\.0+$/, '')} ${units[i]}`
}

const endpoint = (address: string, port: number | null) =>
  port === null ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`

export const describeValue = (metric: string, v: number | null): string =>
  v === null
    ? 'no value'
    : metric.endsWith('bytes_per_second')
      ? human(v)
      : metric.endsWith('_ms')
        ? `${v.toFixed(1)} ms`
        : metric.endsWith('_percent')
          ? `${v.toFixed(1)} %`
          : `${Number(v.toFixed(2))}/s`

export function threshold(rule: AlertRule): string {
  const t = rule.above ?? rule.below!
  return `${rule.above !== undefined ? '>' : '<'} ${describeValue(rule.metric, t)}`
}

export function alertContext(
  rule: AlertRule,
  labels: Labels,
  live: LiveSeries,
): Record<string, string> {
  const out: Record<string, string> = {}
  const hasDevice = (ALERT_METRICS[rule.metric] as readonly string[]).includes('device')
  const capture = live.lastCapture
  if (hasDevice && capture && capture.iface === labels.device) {
    const mine = capture.snapshot.conversations.filter(
      (c) => !labels.address || c.address_a === labels.address || c.address_b === labels.address,
    )
    const convs = mine
      .slice()
      .sort((a, b) => bothWays(b) - bothWays(a))
      .slice(0, TOP)
    if (convs.length)
      out.top_conversations = convs
        .map(
          (c) =>
            `${c.protocol} ${endpoint(c.address_a, c.port_a)} <-> ${endpoint(c.address_b, c.port_b)} ${human(bothWays(c))}${owner(c)}`,
        )
        .join('; ')
    // Which programs fill the link, summed as nethogs does (known when the capture attributes).
    const byProcess = new Map<string, number>()
    for (const c of mine) {
      if (!c.process) continue
      const key = c.pid === null || c.pid === undefined ? c.process : `${c.process} (${c.pid})`
      byProcess.set(key, (byProcess.get(key) ?? 0) + bothWays(c))
    }
    if (byProcess.size)
      out.top_processes = [...byProcess]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP)
        .map(([name, bps]) => `${name} ${human(bps)}`)
        .join('; ')
    const t = live.lastCaptureDelta
    if (t && t.dt_s > 0) {
      const pct =
        t.delta.tcp_packets > 0 ? (100 * t.delta.retransmissions) / t.delta.tcp_packets : 0
      out.tcp_retransmissions = `${(t.delta.retransmissions / t.dt_s).toFixed(1)}/s (${pct.toFixed(2)} % of TCP segments)`
      out.capture_drops = `${((t.delta.dropped_kernel + t.delta.dropped_interface) / t.dt_s).toFixed(1)}/s`
    }
  } else if (hasDevice && rule.metric.startsWith('interface_')) {
    out.top_conversations = `no capture on ${labels.device} (start one to see what fills the link)`
  }
  if (labels.target) {
    const s = live.probeStats.get(labels.target)
    if (s) {
      const w = s.window
      out.probe_recent = `last ${w.sent} probes: loss ${w.loss_pct.toFixed(1)} %, RTT avg ${w.rtt_ms.avg?.toFixed(1) ?? '-'} ms, p95 ${w.rtt_ms.p95?.toFixed(1) ?? '-'} ms, jitter ${w.jitter_ms.mean?.toFixed(1) ?? '-'} ms`
    }
  }
  return out
}
