import type { Socket } from 'node:net'
import { loadAddon, type IcmpAddon } from './icmp-addon'

/**
 * A TCP handshake's round trip as the kernel timed it: right after connect() Linux's smoothed RTT
 * holds one sample, SYN sent to SYN-ACK received (TCP_INFO, µs; `ss -ti` shows it too). Timing
 * the 'connect' event instead adds however long the event loop took to get there: ~2 ms on a
 * loopback where the handshake takes 30 µs. Null, so the caller times it itself, when the addon or
 * the descriptor is not there, or when a SYN was sent again (no clean sample; the wait is part of
 * the connect time then, as tcping counts it).
 */
export function handshakeRttMs(
  socket: Socket,
  addon: () => Pick<IcmpAddon, 'tcpInfo'> | null = nativeTcpInfo,
): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd
  const native = addon()
  if (!native || typeof fd !== 'number' || fd < 0) return null
  try {
    const info = native.tcpInfo(fd)
    return info.rtt_us > 0 && info.total_retrans === 0 ? info.rtt_us / 1000 : null
  } catch {
    return null
  }
}

let tried = false
let native: IcmpAddon | null = null

/** The addon once per process; null for good when it cannot be loaded (not Linux, not built). */
function nativeTcpInfo(): IcmpAddon | null {
  if (!tried) {
    tried = true
    try {
      native = loadAddon()
    } catch {
      native = null
    }
  }
  return native
}
