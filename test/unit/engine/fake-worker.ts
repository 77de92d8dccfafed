import type { CaptureSnapshot } from '../../../common/capture'
import type {
  WorkerChannel,
  WorkerLauncher,
  WorkerName,
} from '../../../electron/engine/workers/launcher'

let nextPid = 90_000

/**
 * A worker the test drives: records what the host posts, replies when the test says so, and by
 * default answers `start` with `started` and `stop` with `ended` and an exit, as a real one does.
 */
export class FakeWorker implements WorkerChannel {
  readonly pid = nextPid++
  readonly posted: Array<{ type: string; [k: string]: unknown }> = []
  exited: { code: number | null; reason: string | null } | null = null
  private message: ((m: unknown) => void) | null = null
  private exitHandlers: Array<(code: number | null, reason: string | null) => void> = []

  constructor(
    readonly name: WorkerName,
    private readonly auto: { started?: object | false; ended?: object } = {},
  ) {}

  postMessage(m: unknown): void {
    const msg = m as { type: string }
    this.posted.push(msg)
    if (msg.type === 'start' && this.auto.started !== false)
      queueMicrotask(() => this.reply({ type: 'started', ...(this.auto.started ?? {}) }))
    if (msg.type === 'stop')
      queueMicrotask(() => {
        if (this.auto.ended) this.reply({ type: 'ended', ...this.auto.ended })
        this.exit(0, null)
      })
  }

  onMessage(h: (m: unknown) => void): void {
    this.message = h
  }

  onExit(h: (code: number | null, reason: string | null) => void): void {
    this.exitHandlers.push(h)
  }

  kill(): void {
    this.exit(null, 'SIGKILL')
  }

  reply(m: unknown): void {
    if (!this.exited) this.message?.(m)
  }

  exit(code: number | null, reason: string | null): void {
    if (this.exited) return
    this.exited = { code, reason }
    this.exitHandlers.forEach((h) => h(code, reason))
  }
}

/** A launcher that hands out FakeWorkers and keeps them for the test. */
export function fakeLauncher(auto: ConstructorParameters<typeof FakeWorker>[1] = {}): {
  launcher: WorkerLauncher
  workers: FakeWorker[]
  alive(): FakeWorker[]
} {
  const workers: FakeWorker[] = []
  return {
    workers,
    launcher: (name) => {
      const w = new FakeWorker(name, auto)
      workers.push(w)
      return w
    },
    alive: () => workers.filter((w) => !w.exited),
  }
}

export const tick = () => new Promise((r) => setTimeout(r, 0))

/** A capture snapshot with nothing in its table, for the ticks fake workers send. */
export const EMPTY_SNAPSHOT = {
  time_us: 1,
  start_us: 0,
  link_type: 1,
  link_type_name: 'EN10MB',
  packets: 3,
  bytes: 180,
  by_protocol: {},
  rates_bps: { s2: 1, s10: 1, s40: 1 },
  peak_bps: 1,
  malformed: {},
  malformed_total: 0,
  flows_active: 0,
  flows_evicted: 0,
  flows_expired: 0,
  conversations: [],
} satisfies CaptureSnapshot
