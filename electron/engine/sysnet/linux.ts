/**
 * Every OS input of the interface views goes through SysNet, so tests can feed fakes
 * (bandwhich's approach). The Linux implementation reads /proc and /sys; no capture rights needed.
 */
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import type { InterfaceInfo } from '../../../common/contract'
import { parseProcNetDev, type InterfaceCounters } from './counters'
import { captureRights } from './privileges'

export interface SysNet {
  readCounters(): Map<string, InterfaceCounters>
  listInterfaces(): InterfaceInfo[]
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return null
  }
}

const readInt = (path: string): number | null => {
  const text = readText(path)
  if (text === null) return null
  const n = Number(text)
  return Number.isInteger(n) ? n : null
}

export class LinuxSysNet implements SysNet {
  constructor(private readonly procNetDev = '/proc/net/dev') {}

  readCounters(): Map<string, InterfaceCounters> {
    return parseProcNetDev(readFileSync(this.procNetDev, 'utf8'))
  }

  listInterfaces(): InterfaceInfo[] {
    const addrs = networkInterfaces()
    const rights = captureRights()
    const names = [...this.readCounters().keys()].sort()
    return names.map((name) => {
      const sys = `/sys/class/net/${name}`
      const speed = readInt(`${sys}/speed`) // EINVAL or -1 when the driver doesn't know
      const mac = readText(`${sys}/address`)
      return {
        name,
        addresses: (addrs[name] ?? []).map((a) => ({
          family: a.family === 'IPv6' ? ('IPv6' as const) : ('IPv4' as const),
          address: a.address,
          cidr: a.cidr ?? null,
        })),
        mac: mac && mac !== '00:00:00:00:00:00' ? mac : null,
        state: readText(`${sys}/operstate`) ?? 'unknown',
        mtu: readInt(`${sys}/mtu`),
        speed_mbps: speed !== null && speed > 0 ? speed : null,
        capture: rights,
      }
    })
  }
}
