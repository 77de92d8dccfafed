/**
 * Probe worker process, started by the engine's WorkerHost (child_process.fork of
 * out/main/probe.js, or Electron's utilityProcess). Receives one 'start', sends every result
 * batched per tick, ends with 'ended' (or 'error') and exits. A fault in a prober or the native
 * ICMP addon takes down this process only.
 */
import { connectToHost } from '../../shared/protocol/connect'
import { ToWorker, type FromWorker, type StartMessage } from '../../shared/protocol/probe'
import { TickGate } from '../../shared/protocol/worker'
import { ProbeRunner } from './runner'

function main(): void {
  const port = connectToHost()
  if (!port) {
    process.stderr.write('probe worker: start me with child_process.fork or utilityProcess\n')
    process.exitCode = 2
    return
  }
  const send = (m: FromWorker, sent?: () => void) => port.send(m, sent)
  const gate = new TickGate()
  let runner: ProbeRunner | null = null
  let finishing = false
  const finish = (m: FromWorker) => {
    if (finishing) return
    finishing = true
    send(m, () => process.exit(0))
  }
  // Ctrl-C on a terminal signals the whole process group: the host decides when we stop.
  process.on('SIGINT', () => {})
  // Without a host there is no one to report to.
  port.onClose(() => process.exit(0))

  const start = (msg: StartMessage) => {
    const mode = process.env.FLOWSCOPE_ICMP_SOCKET
    const r = new ProbeRunner({
      concurrency: msg.concurrency,
      icmpMode: mode === 'raw' || mode === 'dgram' ? mode : 'auto',
      ...(msg.seq_base !== undefined && { seqBase: msg.seq_base }),
    })
    runner = r
    let ticker: NodeJS.Timeout | null = null
    void r
      .run(msg.specs, {
        started: () => {
          send({ type: 'started' })
          // Results leave once per tick; a tick the host has no room for merges into the next.
          ticker = setInterval(
            () => gate.offer((seq, skipped) => send({ type: 'tick', seq, skipped, ...r.take() })),
            msg.tick_ms ?? 1000,
          )
        },
        fatal: (target, code, message) =>
          finish({ type: 'error', ok: false, code, message, target }),
      })
      .then((done) => {
        if (ticker) clearInterval(ticker)
        if (done) finish({ type: 'ended', ...r.take(true), lateness: r.lateness() })
      })
  }

  port.onMessage((raw) => {
    const parsed = ToWorker.safeParse(raw)
    if (!parsed.success) {
      finish({
        type: 'error',
        ok: false,
        code: 'BAD_REQUEST',
        target: '*',
        message: `bad message to probe worker: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      })
      return
    }
    const msg = parsed.data
    if (msg.type === 'ack') gate.ack(msg.seq)
    else if (msg.type === 'stop') {
      if (runner) void runner.stop()
      else process.exit(0)
    } else if (!runner) start(msg)
  })
}

main()
