import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseProcNetDev } from '../../../electron/engine/sysnet/counters'
import { captureRights, effectiveCaps } from '../../../electron/engine/sysnet/privileges'

const SAMPLE = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1234567    8901    0    0    0     0          0         0  1234567    8901    0    0    0     0       0          0
  eth0: 18446744073709551000 42 1 7 0 0 0 0 99 3 0 2 0 0 0 0
 broken: 1 2 3
veth-a@if3: garbage here
`

describe('parseProcNetDev', () => {
  it('reads bytes, packets and drops per direction and skips malformed lines', () => {
    const m = parseProcNetDev(SAMPLE)
    expect([...m.keys()]).toEqual(['lo', 'eth0'])
    expect(m.get('lo')).toEqual({
      rx_bytes: 1234567,
      rx_packets: 8901,
      rx_dropped: 0,
      rx_errs: 0,
      tx_errs: 0,
      tx_bytes: 1234567,
      tx_packets: 8901,
      tx_dropped: 0,
    })
    expect(m.get('eth0')).toMatchObject({
      rx_packets: 42,
      rx_dropped: 7,
      rx_errs: 1,
      tx_errs: 0,
      tx_bytes: 99,
      tx_packets: 3,
      tx_dropped: 2,
    })
  })

  const noKernel = !existsSync('/proc/net/dev') || !existsSync('/sys/class/net')
  if (noKernel)
    console.warn('skipping the sysfs comparison: no /proc/net/dev or /sys/class/net here')
  it.skipIf(noKernel)('agrees with the kernel counters in sysfs (an independent source)', () => {
    const parsed = parseProcNetDev(readFileSync('/proc/net/dev', 'utf8'))
    const names = readdirSync('/sys/class/net')
    expect([...parsed.keys()].sort()).toEqual([...names].sort())
    for (const name of names) {
      const sys = Number(readFileSync(`/sys/class/net/${name}/statistics/tx_packets`, 'utf8'))
      // Read a moment apart: counters only grow, and slowly on an idle interface.
      expect(parsed.get(name)!.tx_packets).toBeLessThanOrEqual(sys)
      expect(sys - parsed.get(name)!.tx_packets).toBeLessThan(10_000)
    }
  })
})

describe('captureRights', () => {
  it('reads CAP_NET_RAW from the effective capability mask', () => {
    expect(effectiveCaps('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(0x1ffffffffffn)
    // No capture helper found: only the process's own CAP_NET_RAW counts.
    expect(captureRights('CapEff:\t0000000000002000\n', null).allowed).toBe(true) // bit 13 only
    const denied = captureRights('CapEff:\t0000000000000000\n', null)
    expect(denied.allowed).toBe(false)
    expect(denied.reason).toMatch(/CAP_NET_RAW/)
  })
})
