/**
 * Local copy of the worker protocol's launcher types (electron/engine/workers/launcher.ts, written
 * by the worker-protocol work). Identical by contract; the merge keeps one and re-exports it here.
 */
export type WorkerName = 'capture' | 'probe'

export interface WorkerChannel {
  readonly pid: number | undefined
  postMessage(message: unknown): void
  onMessage(handler: (message: unknown) => void): void
  onExit(handler: (code: number | null, reason: string | null) => void): void
  kill(): void
}

export type WorkerLauncher = (name: WorkerName) => WorkerChannel
