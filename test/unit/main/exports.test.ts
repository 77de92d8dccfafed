/** flowscope-export:// in main, streaming from the engine host's export port, end to end. */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { streamExportToPort } from '../../../electron/engine/host/export-port'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { registerExportScheme, setupExports } = await import('../../../electron/main/exports')

beforeEach(() => fake.resetFake('/nonexistent'))

const rows = Array.from({ length: 2000 }, (_, i) => `10.0.0.${i % 256},${i * 1500}\n`)

function engineWith(tickets: Record<string, string[]>, reads: { n: number; stopped: boolean }) {
  return {
    openExport(ticket: string, port: unknown, head: boolean) {
      const chunks = tickets[ticket]
      if (!head) delete tickets[ticket]
      streamExportToPort(
        port as fake.MainPort,
        chunks
          ? {
              filename: 'flowscope-conversation.csv',
              contentType: 'text/csv; charset=utf-8',
              chunks: async function* () {
                try {
                  for (const c of chunks) {
                    reads.n++
                    yield c
                  }
                } finally {
                  // Runs when the export completes or is abandoned (the generator is returned).
                  reads.stopped = reads.n < chunks.length
                }
              },
            }
          : null,
        head,
      )
      return true
    },
  }
}

describe('export downloads', () => {
  it('streams every byte with the download headers, once per ticket', async () => {
    registerExportScheme()
    expect(fake.protocol.schemes).toMatchObject([{ scheme: 'flowscope-export' }])
    setupExports(engineWith({ T1: rows }, { n: 0, stopped: false }))
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
    const reads = { n: 0, stopped: false }
    setupExports(engineWith({ T2: rows }, reads))
    const res = await fake.protocol.handlers.get('flowscope-export')!(
      new Request('flowscope-export://download/T2'),
    )
    const reader = res.body!.getReader()
    await reader.read()
    await reader.cancel()
    await fake.settle()
    expect(reads.stopped).toBe(true)
    expect(reads.n).toBeLessThan(10) // pulled one at a time: nothing ran ahead
  })

  it('HEAD answers the headers and leaves the ticket for the download', async () => {
    setupExports(engineWith({ T4: rows }, { n: 0, stopped: false }))
    const handle = fake.protocol.handlers.get('flowscope-export')!
    const head = await handle(new Request('flowscope-export://download/T4', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const res = await handle(new Request('flowscope-export://download/T4'))
    expect(await res.text()).toBe(rows.join(''))
  })

  it('a bad escape in the address is a 400, not an exception', async () => {
    setupExports(engineWith({}, { n: 0, stopped: false }))
    const res = await fake.protocol.handlers.get('flowscope-export')!(
      new Request('flowscope-export://download/%ZZ'),
    )
    expect(res.status).toBe(400)
  })

  it('answers 503 while the engine host is down', async () => {
    setupExports({ openExport: () => false })
    const res = await fake.protocol.handlers.get('flowscope-export')!(
      new Request('flowscope-export://download/T3'),
    )
    expect(res.status).toBe(503)
  })
})
