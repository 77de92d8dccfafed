/**
 * The built engine host entry (out/main/engine.js) as a process of its own: it starts, says ready,
 * answers the contract on a port it was handed, asks main for workers, and exits on shutdown.
 * Run in a worker thread whose process.parentPort mimics an Electron utility process's.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'

const entry = resolve('out/main/engine.js')
const why = existsSync(entry) ? '' : 'no build: run `npx electron-vite build` first'
if (why) console.log(`SKIP engine bundle test: ${why}`)

describe('engine host bundle', () => {
  it.skipIf(why !== '')('starts, answers over a handed port, and stops on shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-engine-'))
    const worker = new Worker(entry, {
      execArgv: ['--require', resolve('test/unit/main/parent-port-shim.cjs')],
      env: { ...process.env, FLOWSCOPE_DB: join(dir, 'history.db') },
      stdout: true,
    })
    try {
      const fromEngine: unknown[] = []
      const ready = new Promise<void>((res) =>
        worker.on('message', (m: { type: string }) => {
          fromEngine.push(m)
          if (m.type === 'ready') res()
        }),
      )
      await ready
      const { port1, port2 } = new MessageChannel()
      worker.postMessage({ data: { type: 'client', name: 'test' }, ports: [port1] }, [port1])
      const answer = new Promise((res) =>
        port2.on('message', (m: { kind: string; result: unknown }) => {
          if (m.kind === 'response') res(m.result)
        }),
      )
      port2.postMessage({ id: 1, method: 'history.status', params: {} })
      expect(await answer).toMatchObject({
        ok: true,
        value: { path: join(dir, 'history.db'), recording: true, failure: null },
      })
      port2.close()
      const exited = new Promise<number>((res) => worker.once('exit', res))
      worker.postMessage({ data: { type: 'shutdown' } })
      expect(await exited).toBe(0)
    } finally {
      await worker.terminate()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
