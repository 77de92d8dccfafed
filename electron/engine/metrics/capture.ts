/**
 * Capture health as counters that survive capture restarts (kept by CaptureTotals from the
 * 'capture.tick' events), per device.
 */
import type { Registry } from 'prom-client'
import type { EventBus } from '../events'
import { Collected } from './collected'
import { CaptureTotals, type CaptureField } from './capture-totals'

export function registerCapture(registry: Registry, events: EventBus): () => void {
  const totals = new CaptureTotals()
  let running: string | null = null
  const offs = [
    // A file opened in the UI is an analysis, not an interface: its ticks are not counted.
    events.on('capture.state', (s) => {
      totals.restart()
      running = s.active && !s.file ? s.iface : null
    }),
    events.on('capture.tick', (t) => {
      if (t.file === undefined) totals.add(t)
    }),
  ]
  const counter = (name: string, help: string, field: CaptureField, extra = {}) => ({
    name,
    help,
    field,
    extra,
  })
  const counters = [
    counter(
      'flowscope_capture_packets_received_total',
      'Packets libpcap received (pcap_stats ps_recv).',
      'received',
    ),
    counter(
      'flowscope_capture_packets_total',
      'Frames the capture decoded, malformed ones included.',
      'packets',
    ),
    counter(
      'flowscope_capture_bytes_total',
      'Bytes (frame lengths on the wire) the capture decoded.',
      'bytes',
    ),
    counter(
      'flowscope_capture_malformed_frames_total',
      'Frames that could not be decoded.',
      'malformed',
    ),
    counter(
      'flowscope_capture_conversations_evicted_total',
      'Conversations pushed out of the full flow table.',
      'flows_evicted',
    ),
    counter(
      'flowscope_capture_conversations_expired_total',
      'Conversations removed after the idle timeout.',
      'flows_expired',
    ),
    counter(
      'flowscope_capture_tcp_packets_total',
      'TCP segments the capture decoded (the denominator of the retransmission ratio).',
      'tcp_packets',
    ),
    counter(
      'flowscope_capture_tcp_retransmissions_total',
      'TCP retransmissions (as tshark counts them) in every conversation of the capture.',
      'retransmissions',
    ),
  ]
  for (const c of counters)
    new Collected(c.name, c.help, 'counter', () =>
      [...totals.totals].map(([device, t]) => ({ labels: { device }, value: t[c.field] })),
    ).register(registry)
  new Collected(
    'flowscope_capture_packets_dropped_total',
    'Packets dropped before the capture saw them: where="kernel" (buffer full, ps_drop) or "interface" (ps_ifdrop).',
    'counter',
    () =>
      [...totals.totals].flatMap(([device, t]) => [
        { labels: { device, where: 'kernel' }, value: t.dropped_kernel },
        { labels: { device, where: 'interface' }, value: t.dropped_interface },
      ]),
  ).register(registry)
  new Collected(
    'flowscope_capture_conversations_tracked',
    'Conversations in the flow table of the running capture.',
    'gauge',
    () =>
      running === null
        ? []
        : [{ labels: { device: running }, value: totals.active.get(running) ?? 0 }],
  ).register(registry)
  new Collected(
    'flowscope_capture_running',
    '1 while a live capture runs on the device.',
    'gauge',
    () => (running === null ? [] : [{ labels: { device: running }, value: 1 }]),
  ).register(registry)
  return () => offs.forEach((off) => off())
}
