import net from 'node:net'
import { elapsedMs, errorCode, type ProbeOutcome, type Prober } from '../prober'
import { handshakeRttMs } from '../tcp-handshake'

/**
 * TCP connect time: SYN sent → SYN-ACK received, as the kernel timed it where it can
 * (../tcp-handshake.ts), else until the 'connect' event. A refused port is an error (lost), as in
 * tcping.
 */
export class TcpProber implements Prober {
  readonly counters = { late: 0, duplicates: 0 }
  private readonly sockets = new Set<net.Socket>()

  constructor(
    private readonly address: string,
    private readonly port: number,
  ) {}

  probe(_seq: number, timeout_ms: number): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const sent_wall_ms = Date.now()
      const start = process.hrtime.bigint()
      const socket = net.connect({ host: this.address, port: this.port })
      this.sockets.add(socket)
      const finish = (o: ProbeOutcome) => {
        clearTimeout(timer)
        this.sockets.delete(socket)
        socket.destroy()
        resolve(o)
      }
      const timer = setTimeout(
        () => finish({ sent_wall_ms, rtt_ms: null, status: 'timeout' }),
        timeout_ms,
      )
      socket.once('connect', () => {
        const waited = elapsedMs(start, process.hrtime.bigint())
        finish({ sent_wall_ms, rtt_ms: handshakeRttMs(socket) ?? waited, status: 'ok' })
      })
      socket.once('error', (err) =>
        finish({ sent_wall_ms, rtt_ms: null, status: 'error', error: errorCode(err) }),
      )
    })
  }

  close(): void {
    for (const s of this.sockets) s.destroy()
  }
}
