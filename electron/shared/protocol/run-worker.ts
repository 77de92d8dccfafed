/**
 * The part of a worker's main loop every worker shares: reach the host, validate each message
 * against the worker's ToWorker schema (a bad one ends the worker with an error), apply acks to
 * the tick gate, ignore Ctrl-C (the host decides when we stop) and send the last message once
 * before exiting. The worker supplies only what it does with start / stop / its own messages.
 */
import type { z } from 'zod'
import { connectToHost, type HostPort } from './connect'
import { TickGate, type WorkerName } from './worker'

export interface WorkerLink<Out> {
  port: HostPort
  gate: TickGate
  send(message: Out, sent?: () => void): void
  /** Sends the last message (only the first call counts) and exits once it has left. */
  finish(message: Out): void
}

export interface WorkerHandlers<In, Out> {
  /** The error message that ends the worker when the host sends something invalid. */
  badMessage(text: string): Out
  /** Every valid message except 'ack', which the link's gate takes. */
  message(m: Exclude<In, { type: 'ack' }>): void
  /** The host went away: nobody is left to report to. */
  closed(): void
}

export function runWorker<In extends { type: string }, Out>(
  name: WorkerName,
  schema: z.ZodType<In>,
  setup: (link: WorkerLink<Out>) => WorkerHandlers<In, Out>,
): void {
  const port = connectToHost()
  if (!port) {
    process.stderr.write(`${name} worker: start me with child_process.fork or utilityProcess\n`)
    process.exitCode = 2
    return
  }
  let finishing = false
  const link: WorkerLink<Out> = {
    port,
    gate: new TickGate(),
    send: (m, sent) => port.send(m, sent),
    finish: (m) => {
      if (finishing) return
      finishing = true
      port.send(m, () => process.exit(0))
    },
  }
  const handlers = setup(link)
  // Ctrl-C on a terminal signals the whole process group: the host decides when we stop.
  process.on('SIGINT', () => {})
  port.onClose(() => handlers.closed())
  port.onMessage((raw) => {
    const parsed = schema.safeParse(raw)
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid'
      link.finish(handlers.badMessage(`bad message to ${name} worker: ${why}`))
      return
    }
    const m = parsed.data
    if (m.type === 'ack') link.gate.ack((m as unknown as { seq: number }).seq)
    else handlers.message(m as Exclude<In, { type: 'ack' }>)
  })
}
