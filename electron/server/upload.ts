/**
 * Serve mode's one request with a body: a pcap/pcapng file uploaded by the Connections page
 * (POST /api/capture-file?token=…&name=…[&filter=…]), streamed to a private temporary file
 * (0600, created exclusively under a random name) and opened by the capture worker like a file
 * given by path; the copy is unlinked as soon as the worker has it open. Same checks as the
 * API: Host (done by the caller), Origin and token; the size is bounded before and while
 * reading.
 */
import { createWriteStream } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import type { Result } from '../../common/contract'
import { EngineError } from '../engine/api'
import type { Monitor } from '../engine/monitor'
import { originAllowed, singleHeader, singleParam, tokenMatches, type Scheme } from './access'

export const UPLOAD_PATH = '/api/capture-file'
/** Default largest upload: a capture file bigger than this is better opened with `flowscope analyze`. */
export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024

class TooLarge extends Error {}

export interface UploadContext {
  monitor: Monitor
  token: string
  scheme: Scheme
  maxBytes: number
  query: URLSearchParams
}

let busy = false

const json = (res: ServerResponse, status: number, body: Result<unknown>) => {
  if (res.headersSent) return void res.destroy()
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body))
}
const refuse = (res: ServerResponse, status: number, code: string, message: string) => {
  // The body may not have been read: close the connection rather than parse it as a request.
  res.setHeader('connection', 'close')
  json(res, status, { ok: false, code, message } as Result<unknown>)
}

export async function handleUpload(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: UploadContext,
): Promise<void> {
  if (req.method !== 'POST') return refuse(res, 405, 'BAD_REQUEST', 'POST the file')
  if (!originAllowed(singleHeader(req, 'origin'), singleHeader(req, 'host'), ctx.scheme))
    return refuse(res, 403, 'PERMISSION_DENIED', 'cross-origin upload refused')
  if (!tokenMatches(ctx.token, singleParam(ctx.query, 'token')))
    return refuse(res, 401, 'PERMISSION_DENIED', 'missing or wrong token')
  const name = basename(singleParam(ctx.query, 'name') ?? 'capture.pcap').slice(0, 200)
  const filter = singleParam(ctx.query, 'filter') ?? undefined
  if (filter !== undefined && filter.length > 2048)
    return refuse(res, 400, 'BAD_REQUEST', 'filter longer than 2048 characters')
  const length = Number(req.headers['content-length'] ?? NaN)
  if (!Number.isInteger(length) || length <= 0)
    return refuse(res, 411, 'BAD_REQUEST', 'send the file with a Content-Length')
  if (length > ctx.maxBytes)
    return refuse(
      res,
      413,
      'BAD_REQUEST',
      `the file is larger than ${ctx.maxBytes} bytes: open it with "flowscope analyze" instead`,
    )
  if (busy) return refuse(res, 409, 'UNAVAILABLE', 'another upload is in progress')
  busy = true
  // A fresh random name created exclusively (wx): nothing else can be there or point elsewhere.
  const path = join(tmpdir(), `flowscope-upload-${randomBytes(12).toString('hex')}`)
  // What to answer; sent only after a copy nobody opened is gone (the client may look).
  let answer: () => void
  try {
    let seen = 0
    const bound = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length
        done(seen > ctx.maxBytes || seen > length ? new TooLarge() : null, chunk)
      },
    })
    await pipeline(req, bound, createWriteStream(path, { mode: 0o600, flags: 'wx' }))
    if (seen !== length) {
      answer = () => refuse(res, 400, 'BAD_REQUEST', 'the upload ended early')
    } else {
      const state = await ctx.monitor.capture.openFile({
        kind: 'file',
        path,
        name,
        removeAfter: true,
        ...(filter !== undefined && { filter }),
      })
      // The capture owns the copy now: it is removed when that capture stops or is replaced.
      busy = false
      return json(res, 200, { ok: true, value: state })
    }
  } catch (err) {
    if (err instanceof TooLarge)
      answer = () =>
        refuse(res, 413, 'BAD_REQUEST', 'the upload is larger than announced or allowed')
    else if (err instanceof EngineError)
      // Name the file as the user knows it, not by our temporary path.
      answer = () =>
        json(res, 400, { ok: false, code: err.code, message: err.message.split(path).join(name) })
    else answer = () => refuse(res, 500, 'INTERNAL', 'the upload failed')
    if (!(err instanceof TooLarge) && !(err instanceof EngineError))
      process.stderr.write(`flowscope serve: upload failed: ${String(err)}\n`)
  }
  await rm(path, { force: true })
  busy = false
  answer()
}
