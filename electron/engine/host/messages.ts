/**
 * Messages between Electron main and the engine host over the utility process's parent port.
 * Main only brokers: it starts processes and hands out MessagePorts; data flows over the ports.
 * Both sides validate what they receive.
 */
import { z } from 'zod'

export const WorkerNameSchema = z.enum(['capture', 'probe'])

/** Main -> engine host. A message that carries a port says so; the port is `ports[0]`. */
export const ToEngine = z.discriminatedUnion('type', [
  /** A contract client (a renderer, or main's own tray/notification client); port attached. */
  z.object({ type: z.literal('client'), name: z.string().max(64) }),
  /** Stream the export reserved under `ticket` over the attached port (`head`: headers only, the ticket kept). */
  z.object({ type: z.literal('export'), ticket: z.string().max(128), head: z.boolean() }),
  /** The worker asked for with `id` runs; the attached port reaches it. */
  z.object({
    type: z.literal('worker.port'),
    id: z.number().int(),
    pid: z.number().int().nullable(),
  }),
  /** The worker `id` is gone (or could not start). */
  z.object({
    type: z.literal('worker.exit'),
    id: z.number().int(),
    code: z.number().int().nullable(),
    reason: z.string().nullable(),
  }),
  /** Stop capture and probes, close the store, then exit. */
  z.object({ type: z.literal('shutdown') }),
])
export type ToEngine = z.infer<typeof ToEngine>

/** Engine host -> main. */
export const FromEngine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('worker.spawn'), id: z.number().int(), name: WorkerNameSchema }),
  z.object({ type: z.literal('worker.kill'), id: z.number().int() }),
  z.object({
    type: z.literal('notify'),
    title: z.string().max(256),
    body: z.string().max(4096),
  }),
])
export type FromEngine = z.infer<typeof FromEngine>

/** Export stream over its own port: main pulls, the engine sends one chunk per pull. */
export type ExportMessage =
  | { type: 'head'; contentType: string; filename: string }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; status: number; message: string }
export type ExportControl = { type: 'pull' } | { type: 'cancel' }
