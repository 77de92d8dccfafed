/**
 * The shapes of Electron's MessagePortMain and a utility process's `process.parentPort`, as far as
 * the engine host uses them. The engine never imports electron; tests pass Node's MessageChannel
 * through `nodePort()`.
 */
export interface PortEvent {
  data: unknown
  ports: Port[]
}

export interface Port {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: PortEvent) => void): unknown
  on(event: 'close', listener: () => void): unknown
  start(): void
  close(): void
}

export interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: PortEvent) => void): unknown
}

/** `process.parentPort` when this process is an Electron utility process, else null. */
export function electronParentPort(): ParentPort | null {
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort
  return port ?? null
}
