/**
 * How the engine host starts a worker process: the one switch between plain Node
 * (child_process.fork of out/main/<name>.js) and the desktop app, where Electron main starts a
 * utilityProcess and hands the engine a MessagePort to it (implemented on the Electron side
 * against this interface). Everything above it (WorkerHost) is the same for both.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { WorkerName } from '../../shared/protocol/worker'

export type { WorkerName } from '../../shared/protocol/worker'

/** One end of a worker's message channel, whatever started it. */
export interface WorkerChannel {
  readonly pid: number | undefined
  postMessage(message: unknown): void
  onMessage(handler: (message: unknown) => void): void
  onExit(handler: (code: number | null, reason: string | null) => void): void
  kill(): void
}

export type WorkerLauncher = (name: WorkerName) => WorkerChannel

/** The built worker entry (out/main/<name>.js), from an entry or a shared chunk beside it. */
export function builtWorkerPath(name: WorkerName): string {
  const candidates = [join(__dirname, `${name}.js`), join(__dirname, '..', `${name}.js`)]
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!
}

/** A fork launcher for entries found by `path` (tests point it at a particular build). */
export function forkLauncherAt(path: (name: WorkerName) => string): WorkerLauncher {
  return (name) => {
    const child = fork(path(name), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    const exitHandlers: Array<(code: number | null, reason: string | null) => void> = []
    let exited = false
    const exit = (code: number | null, reason: string | null) => {
      if (exited) return
      exited = true
      exitHandlers.forEach((h) => h(code, reason))
    }
    child.on('exit', (code, signal) => exit(code, signal))
    // A fork that could not even start (missing entry, EAGAIN) ends here instead.
    child.on('error', (err) => {
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined)
        exit(null, err.message)
    })
    return {
      get pid() {
        return child.pid
      },
      postMessage: (m) => {
        if (!child.connected) return
        try {
          child.send(m as Parameters<typeof child.send>[0])
        } catch {
          // Channel closing: the exit handler reports what happened.
        }
      },
      onMessage: (h) => void child.on('message', h),
      onExit: (h) => void exitHandlers.push(h),
      kill: () => void child.kill('SIGKILL'),
    }
  }
}

/** child_process.fork of out/main/<name>.js with serialization 'advanced'. */
export const forkLauncher: WorkerLauncher = forkLauncherAt(builtWorkerPath)
