/**
 * The engine's handle on a capture worker (electron/workers/capture/main.ts): the one
 * WorkerHost with the capture protocol's schemas. Failures arrive as data (`failure` events with
 * the codes of shared/capture/errors.ts), never as exceptions from the worker.
 */
import { FromWorker, type StartMessage } from '../../shared/protocol/capture'
import { WorkerHost, type WorkerHostOptions } from '../workers/host'

export type CaptureHost = WorkerHost<StartMessage, FromWorker>

export function captureHost(options: WorkerHostOptions<StartMessage> = {}): CaptureHost {
  return new WorkerHost('capture', FromWorker, options)
}
