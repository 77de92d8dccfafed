import { readFileSync } from 'node:fs'

/** The interface index for ingressInterface / INPUT_SNMP (0 when unknown, e.g. 'any'). */
export function interfaceIndex(name: string): number {
  try {
    const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim())
    return Number.isInteger(n) && n > 0 ? n : 0
  } catch {
    return 0
  }
}
