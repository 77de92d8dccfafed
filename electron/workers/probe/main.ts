/**
 * Probe worker process, started by the engine's WorkerHost (child_process.fork of
 * out/main/probe.js, or Electron's utilityProcess). Receives one 'start', sends every result
 * batched per tick, ends with 'ended' (or 'error') and exits. A fault in a prober or the native
 * ICMP addon takes down this process only.
 */
import { ToWorker, type FromWorker, type StartMessage } from '../../shared/protocol/probe'
import { runWorker } from '../../shared/protocol/run-worker'
import { ProbeRunner } from './runner'

runWorker<ToWorker, FromWorker>('probe', ToWorker, ({ send, finish, gate }) => {
  let runner: ProbeRunner | null = null

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

  return {
    badMessage: (message) => ({
      type: 'error',
      ok: false,
      code: 'BAD_REQUEST',
      target: '*',
      message,
    }),
    message: (msg) => {
      if (msg.type === 'stop') {
        if (runner) void runner.stop()
        else process.exit(0)
      } else if (!runner) start(msg)
    },
    // Without a host there is no one to report to.
    closed: () => process.exit(0),
  }
})
