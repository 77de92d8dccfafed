import { readFileSync } from 'node:fs'

const CAP_NET_RAW = 13n

/** Parses the CapEff mask from /proc/self/status. */
export function effectiveCaps(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status)
  return m ? BigInt(`0x${m[1]}`) : null
}

/**
 * Whether this process may open a live capture. On Linux libpcap needs CAP_NET_RAW (root has it);
 * the reason tells the operator how to grant it without running the whole app as root.
 */
export function captureRights(status = readStatus()): { allowed: boolean; reason: string | null } {
  if (process.platform !== 'linux')
    return { allowed: false, reason: 'live capture is supported on Linux only so far' }
  const caps = status === null ? null : effectiveCaps(status)
  if (caps !== null && (caps >> CAP_NET_RAW) & 1n) return { allowed: true, reason: null }
  return {
    allowed: false,
    reason:
      'needs CAP_NET_RAW: run as root, or grant it once with `sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"`',
  }
}

function readStatus(): string | null {
  try {
    return readFileSync('/proc/self/status', 'utf8')
  } catch {
    return null
  }
}
