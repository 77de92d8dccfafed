/** flowscope-export:// in main, streaming from the engine host's export port, end to end. */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { streamExportToPort } from '../../../electron/engine/host/export-port'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { registerExportScheme, setupExports } = await import('../../../electron/main/exports')

beforeEach(() => fake.resetFake('/nonexistent'))

const rows = Array.from({ length: 2000 }, (_, i) => `10.0.0.${i % 256},${i * 1500}\n`)

function engineWith(tickets: Record<string, string[]>, writes: { n: number; error: unknown }) {
  return {
    openExport(ticket: string, port: unknown) {
      const chunks = tickets[ticket]
      delete tickets[ticket]
      streamExportToPort(
        port as fake.MainPort,
        chunks
          ? {
              filename: 'flowscope-conversation.csv',
              contentType: 'text/csv; charset=utf-8',
              write: async (out) => {
                try {
                  for (const c of chunks) {
                    await new Promise<void>((res, rej) => out.write(c, (e) => (e ? rej(e) : res())))
                    writes.n++
                  }
                } catch (err) {
                  writes.error = err
                  throw err
                }
              },
            }
          : null,
      )
      return true
    },
  }
}

describe('export downloads', () => {
  it('streams every byte with the download headers, once per ticket', async () => {
    registerExportScheme()
    expect(fake.protocol.schemes).toMatchObject([{ scheme: 'flowscope-export' }])
    setupExports(engineWith({ T1: rows }, { n: 0, error: null }))
    const handle = fake.protocol.handlers.get('flowscope-export')!
    const res = await handle(new Request('flowscope-export://download/T1'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="flowscope-conversation.csv"',
    )
    expect(await res.text()).toBe(rows.join(''))
    const again = await handle(new Request('flowscope-export://download/T1'))
    expect(again.status).toBe(404)
  })

  it('a download closed early stops the export in the engine host', async () => {
    const writes = { n: 0, error: null as unknown }
    setupExports(engineWith({ T2: rows }, writes))
    const res = await fake.protocol.handlers.get('flowscope-export')!(
      new Request('flowscope-export://download/T2'),
    )
    const reader = res.body!.getReader()
    await reader.read()
    await reader.cancel()
    await fake.settle()
    expect(String(writes.error)).toMatch(/cancelled/)
    expect(writes.n).toBeLessThan(10) // pulled one at a time: nothing ran ahead
  })

  it('answers 503 while the engine host is down', async () => {
    setupExports({ openExport: () => false })
    const res = await fake.protocol.handlers.get('flowscope-export')!(
      new Request('flowscope-export://download/T3'),
    )
    expect(res.status).toBe(503)
  })
})
