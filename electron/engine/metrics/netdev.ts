/**
 * Interface counters as node_exporter's netdev collector names them, with the `flowscope_`
 * prefix: the kernel's own counters (/proc/net/dev) as the Monitor read them on its last tick,
 * so a scrape costs no extra read of /proc. `flowscope_network_up` is operstate == "up".
 */
import { readFile } from 'node:fs/promises'
import type { Registry } from 'prom-client'
import type { InterfaceCounters } from '../sysnet/counters'
import { Collected } from './collected'

export type CountersSource = () => {
  at_ms: number
  counters: ReadonlyMap<string, InterfaceCounters>
} | null

const FIELDS: Array<[string, keyof InterfaceCounters, string]> = [
  ['receive_bytes', 'rx_bytes', 'bytes received'],
  ['transmit_bytes', 'tx_bytes', 'bytes transmitted'],
  ['receive_packets', 'rx_packets', 'packets received'],
  ['transmit_packets', 'tx_packets', 'packets transmitted'],
  ['receive_drop', 'rx_dropped', 'received packets dropped'],
  ['transmit_drop', 'tx_dropped', 'transmitted packets dropped'],
  ['receive_errs', 'rx_errs', 'receive errors'],
  ['transmit_errs', 'tx_errs', 'transmit errors'],
]

/** Device names as the kernel allows them; anything else never becomes a path. */
const DEVICE_RE = /^[^/\s]{1,15}$/

export function registerNetdev(registry: Registry, counters: CountersSource): void {
  for (const [name, field, what] of FIELDS) {
    new Collected(
      `flowscope_network_${name}_total`,
      `Network device statistic ${field}: ${what} (kernel counter, /proc/net/dev).`,
      'counter',
      () =>
        [...(counters()?.counters ?? [])].map(([device, c]) => ({
          labels: { device },
          value: c[field] ?? 0,
        })),
    ).register(registry)
  }
  new Collected(
    'flowscope_network_up',
    'Value is 1 if operstate is "up", 0 otherwise.',
    'gauge',
    async () =>
      Promise.all(
        [...(counters()?.counters.keys() ?? [])].map(async (device) => {
          let state = ''
          if (DEVICE_RE.test(device) && device !== '.' && device !== '..')
            state = await readFile(`/sys/class/net/${device}/operstate`, 'utf8').catch(() => '')
          return { labels: { device }, value: state.trim() === 'up' ? 1 : 0 }
        }),
      ),
  ).register(registry)
  new Collected(
    'flowscope_network_read_timestamp_seconds',
    'When the interface counters above were read (the Monitor reads them once per tick).',
    'gauge',
    () => {
      const c = counters()
      return c ? [{ labels: {}, value: c.at_ms / 1000 }] : []
    },
  ).register(registry)
}
