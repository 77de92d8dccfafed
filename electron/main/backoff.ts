/**
 * Restart delays for a process that keeps dying: doubling from `initialMs` up to `maxMs`, back to
 * the start once a run lasted `stableMs` (a crash an hour later is not a crash loop).
 */
export class Backoff {
  private failures = 0
  private startedAt = 0

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
    private readonly stableMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  started(): void {
    this.startedAt = this.now()
  }

  /** The delay before the next start, after the current run ended. */
  next(): number {
    if (this.now() - this.startedAt >= this.stableMs) this.failures = 0
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.failures)
    this.failures++
    return delay
  }
}
