/**
 * Query cancellation through the contract (issue 8 item 1): a connection's newer history.query
 * or history.probes cancels the older one still running (CANCELLED), other methods are never
 * superseded, and a closed connection aborts everything it was waiting for.
 */
import { describe, expect, it } from 'vitest'
import { ClientCalls, EngineError, type Handlers } from '../../../electron/engine/api'
import { serveClientPort } from '../../../electron/engine/host/client-port'
import { Monitor } from '../../../electron/engine/monitor'
import type { HistoryResult } from '../../../common/history'
import { FakeSysNet } from '../fakes'
import { MessageChannelMain, type MainPort } from '../main/electron-fake'

describe('ClientCalls', () => {
  it('supersedes per method and cancels everything when the client goes away', () => {
    const calls = new ClientCalls()
    const q1 = calls.begin('history.query')
    const p1 = calls.begin('history.probes')
    const s1 = calls.begin('capture.state')
    const q2 = calls.begin('history.query')
    expect(q1.signal.aborted).toBe(true)
    expect(q1.signal.reason).toBeInstanceOf(EngineError)
    expect(q1.signal.reason).toMatchObject({ code: 'CANCELLED' })
    expect(String(q1.signal.reason.message)).toMatch(/superseded by a newer history\.query/)
    expect([p1, s1, q2].map((c) => c.signal.aborted)).toEqual([false, false, false])
    // An answered request no longer counts: the next one of its method cancels nothing.
    q2.end()
    const q3 = calls.begin('history.query')
    expect(q2.signal.aborted).toBe(false)
    calls.begin('capture.state')
    expect(s1.signal.aborted).toBe(false)
    calls.cancelAll()
    expect([p1, s1, q3].map((c) => c.signal.aborted)).toEqual([true, true, true])
    expect(q3.signal.reason).toMatchObject({ code: 'CANCELLED', message: 'the client went away' })
  })
})

/** A history.query handler that answers after `ms` unless its signal is aborted first. */
function slowHandlers(seen: AbortSignal[], ms: number): Handlers {
  const monitor = new Monitor({ sysnet: new FakeSysNet() })
  const empty: HistoryResult = {
    meta: { tier: '10s', step: null, from: '', to: '' },
    rows: [],
    truncated: false,
  }
  return {
    ...monitor.handlers,
    'history.query': (_q, ctx) =>
      new Promise((resolve, reject) => {
        seen.push(ctx.signal!)
        const timer = setTimeout(() => resolve(empty), ms)
        ctx.signal?.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(ctx.signal!.reason)
        })
      }),
  }
}

const query = { from_s: 0, to_s: 60, by: 'interface', bucket: null, top: null }

function answers(port: MainPort) {
  const got = new Map<number, { ok: boolean; code?: string }>()
  port.on('message', (e: { data: { kind: string; id: number; result: never } }) => {
    if (e.data.kind === 'response') got.set(e.data.id, e.data.result)
  })
  return got
}

describe('desktop port client', () => {
  it('answers a superseded history.query CANCELLED and the newer one normally', async () => {
    const seen: AbortSignal[] = []
    const ch = new MessageChannelMain()
    const close = serveClientPort(ch.port1, slowHandlers(seen, 200), {
      onAny: () => () => {},
    } as never)
    const got = answers(ch.port2)
    ch.port2.start()
    ch.port2.postMessage({ id: 1, method: 'history.query', params: query })
    ch.port2.postMessage({ id: 2, method: 'history.query', params: query })
    for (let i = 0; i < 100 && got.size < 2; i++) await new Promise((r) => setTimeout(r, 10))
    expect(got.get(1)).toMatchObject({ ok: false, code: 'CANCELLED' })
    expect(got.get(2)).toMatchObject({ ok: true })
    close()
    ch.port2.close()
  })

  it('aborts what a closed port was waiting for', async () => {
    const seen: AbortSignal[] = []
    const ch = new MessageChannelMain()
    serveClientPort(ch.port1, slowHandlers(seen, 5000), { onAny: () => () => {} } as never)
    ch.port2.start()
    ch.port2.postMessage({ id: 1, method: 'history.query', params: query })
    for (let i = 0; i < 100 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 10))
    expect(seen[0]!.aborted).toBe(false)
    ch.port2.close()
    for (let i = 0; i < 100 && !seen[0]!.aborted; i++) await new Promise((r) => setTimeout(r, 10))
    expect(seen[0]!.reason).toMatchObject({ code: 'CANCELLED', message: 'the client went away' })
  })
})
