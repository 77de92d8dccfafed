/**
 * Probe worker process (child_process.fork of out/main/probe.js). Receives one 'start', streams
 * 'results' batches, ends with 'done' (or 'fatal') and exits. A fault in a prober or the native
 * ICMP addon takes down this process only.
 */
import { ToWorker, type FromWorker } from '../../shared/protocol/probe'
import { ProbeRunner } from './runner'

const send = (msg: FromWorker) => process.send?.(msg)
const mode = process.env.FLOWSCOPE_ICMP_SOCKET
const runner = new ProbeRunner(send, {
  icmpMode: mode === 'raw' || mode === 'dgram' ? mode : 'auto',
})
let started = false

// Ctrl-C on a terminal signals the whole process group: the parent decides when we stop.
process.on('SIGINT', () => {})
// Without a parent there is no one to report to.
process.on('disconnect', () => process.exit(0))

process.on('message', (raw) => {
  const parsed = ToWorker.safeParse(raw)
  if (!parsed.success) {
    send({
      type: 'fatal',
      target: '*',
      code: 'BAD_REQUEST',
      message: `bad message: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    })
    return
  }
  const msg = parsed.data
  if (msg.type === 'stop') {
    void runner.stop()
    return
  }
  if (started) return
  started = true
  void runner.run(msg.specs).then(() => process.disconnect?.())
})
