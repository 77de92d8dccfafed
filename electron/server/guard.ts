/**
 * The guard around every entry point from the network (request, upgrade, client error, WebSocket
 * message, socket error). Whatever a handler throws, synchronously or in a promise, is logged with
 * its stack as a bug (nothing is swallowed silently), the one request it belongs to is answered or
 * cut, and the process keeps serving everyone else.
 */
export type Log = (line: string) => void

export const stderrLog: Log = (line) => process.stderr.write(`${line}\n`)

/** Logs a handler's failure; `what` names the request without its query (the token lives there). */
export function logBug(log: Log, what: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err)
  log(`flowscope serve: bug while handling ${what}: ${detail}`)
}

/**
 * Wraps a handler so it cannot throw into node's event emitter (which would end the process):
 * on failure it logs, then calls `recover` (answer 500, destroy the socket...), itself guarded.
 */
export function guarded<A extends unknown[]>(
  log: Log,
  describe: (args: NoInfer<A>) => string,
  recover: (args: NoInfer<A>) => void,
  handler: (...args: A) => void | Promise<void>,
): (...args: A) => void {
  const fail = (args: A, err: unknown) => {
    let what = 'a request'
    try {
      what = describe(args)
    } catch {
      // keep the generic name
    }
    logBug(log, what, err)
    try {
      recover(args)
    } catch (again) {
      logBug(log, `the recovery from ${what}`, again)
    }
  }
  return (...args: A) => {
    try {
      const r = handler(...args)
      if (r && typeof r.then === 'function') r.then(undefined, (err: unknown) => fail(args, err))
    } catch (err) {
      fail(args, err)
    }
  }
}

/**
 * The process-level backstop of the serve process, for what escapes every handler's guard (an
 * error event nobody listens to deep inside a library, a callback of ours we missed): log it with
 * its stack as a bug and keep serving. A process that keeps failing is not healthy, though: past
 * `maxPerMinute` such errors it exits (70, EX_SOFTWARE) rather than serve from a broken state.
 * Returns the uninstaller.
 */
export function installProcessGuard(
  log: Log,
  maxPerMinute = 10,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  let windowStart = 0
  let count = 0
  const onError = (err: unknown, origin: string) => {
    logBug(log, `the process (${origin})`, err)
    const now = Date.now()
    if (now - windowStart > 60_000) {
      windowStart = now
      count = 0
    }
    if (++count > maxPerMinute) {
      log(`flowscope serve: ${count} uncaught errors within a minute; exiting`)
      exit(70)
    }
  }
  const onException = (err: Error, origin: string) => onError(err, origin)
  const onRejection = (reason: unknown) => onError(reason, 'unhandledRejection')
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return () => {
    process.off('uncaughtException', onException)
    process.off('unhandledRejection', onRejection)
  }
}
