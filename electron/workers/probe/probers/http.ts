import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import { elapsedMs, errorCode, type ProbeOutcome, type Prober } from '../prober'
import { handshakeRttMs } from '../tcp-handshake'

/**
 * One GET per probe on a fresh connection (no keep-alive agent), so every probe pays DNS,
 * connect and TLS. Phases are timed with hrtime from socket and request events, except the TCP
 * handshake, which the kernel times where it can (../tcp-handshake.ts); TTFB runs from the
 * request handed to the kernel ('finish') to the first byte, as blackbox_exporter's processing
 * phase does. Any HTTP status is a reply; rtt_ms is the total time.
 */
export class HttpProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  private readonly requests = new Set<http.ClientRequest>()

  constructor(
    private readonly href: string,
    private readonly secure: boolean,
  ) {}

  probe(_seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const sent_wall_ms = Date.now()
      const t0 = process.hrtime.bigint()
      let tLookup: bigint | null = null
      let tConnect: bigint | null = null
      let tSecure: bigint | null = null
      let tWritten: bigint | null = null
      let handshake: number | null = null
      let tFirstByte: bigint | null = null
      const now = () => process.hrtime.bigint()
      const lib = this.secure ? https : http
      const req = lib.request(this.href, {
        agent: false,
        headers: { 'user-agent': 'flowscope-probe', connection: 'close' },
      })
      this.requests.add(req)
      let done = false
      const finish = (o: ProbeOutcome) => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.requests.delete(req)
        req.destroy()
        resolve(o)
      }
      const timer = setTimeout(
        () => finish({ sent_wall_ms, rtt_ms: null, status: 'timeout' }),
        timeout_ms,
      )
      req.once('socket', (socket: Socket) => {
        socket.once('lookup', () => (tLookup = now()))
        socket.once('connect', () => {
          tConnect = now()
          handshake = handshakeRttMs(socket)
        })
        socket.once('secureConnect', () => (tSecure = now()))
        socket.once('data', () => (tFirstByte ??= now()))
      })
      req.once('finish', () => (tWritten = now()))
      req.once('error', (err) =>
        finish({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) }),
      )
      req.once('response', (res) => {
        tFirstByte ??= now()
        res.on('data', () => {})
        res.once('error', (err) =>
          finish({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) }),
        )
        res.once('end', () => {
          const tEnd = now()
          const connectStart = tLookup ?? t0
          const connected = tConnect ?? connectStart
          const ready = tSecure ?? connected
          const phases_ms: Record<string, number> = {
            dns: tLookup === null ? 0 : elapsedMs(t0, tLookup),
            connect: handshake ?? elapsedMs(connectStart, connected),
          }
          if (this.secure) phases_ms.tls = elapsedMs(connected, ready)
          phases_ms.ttfb = elapsedMs(tWritten ?? ready, tFirstByte ?? tEnd)
          phases_ms.total = elapsedMs(t0, tEnd)
          finish({ sent_wall_ms, rtt_ms: phases_ms.total!, status: 'ok', phases_ms })
        })
      })
      req.end()
    })
  }

  close(): void {
    for (const r of this.requests) r.destroy()
  }
}
