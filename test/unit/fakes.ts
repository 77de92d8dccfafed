import type { InterfaceInfo } from '../../common/contract'
import type { InterfaceCounters } from '../../electron/engine/sysnet/counters'
import type { SysNet } from '../../electron/engine/sysnet/linux'

/** A SysNet whose counters the test sets; interfaces mirror the counter names. */
export class FakeSysNet implements SysNet {
  counters = new Map<string, InterfaceCounters>()

  set(name: string, rx_bytes: number, tx_bytes = 0): void {
    this.counters.set(name, {
      rx_bytes,
      tx_bytes,
      rx_packets: 0,
      tx_packets: 0,
      rx_dropped: 0,
      tx_dropped: 0,
    })
  }

  readCounters(): Map<string, InterfaceCounters> {
    return new Map(this.counters)
  }

  listInterfaces(): InterfaceInfo[] {
    return [...this.counters.keys()].map((name) => ({
      name,
      addresses: [],
      mac: null,
      state: 'up',
      mtu: 1500,
      speed_mbps: null,
      capture: { allowed: false, reason: 'fake' },
    }))
  }
}
