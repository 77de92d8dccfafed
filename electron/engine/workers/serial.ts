/**
 * One queue of start/stop operations: each runs after the previous one settled, so concurrent
 * requests (three `capture.start` at once, a stop during a start) apply one after another and at
 * most one worker exists at any time.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op, op)
    this.tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every operation queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}
