import { describe, expect, it } from 'vitest'
import { renderTable } from '../../../electron/cli/table'
import { terminalSafe } from '../../../electron/shared/report/terminal'
import { writeTable } from '../../../electron/shared/report/writers'
import { PassThrough } from 'node:stream'

// A process can name itself with an escape sequence (prctl / /proc/PID/comm, 15 bytes).
const evil = '\u001b]0;pwned\u0007x\u009b2J'

/** Any C0 (but newline), DEL or C1 character. */
const hasControl = (text: string) =>
  [...text].some((c) => {
    const n = c.charCodeAt(0)
    return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f)
  })

describe('terminal output', () => {
  it('shows control characters as \\xNN', () => {
    expect(terminalSafe(evil)).toBe('\\x1b]0;pwned\\x07x\\x9b2J')
    expect(terminalSafe('plain ünïcode name')).toBe('plain ünïcode name')
  })

  it('tables never pass a control character through', async () => {
    expect(hasControl(renderTable(['PROCESS'], [[evil]]))).toBe(false)
    const out = new PassThrough()
    let text = ''
    out.on('data', (d: Buffer) => (text += d.toString()))
    await writeTable(out, 'process', [
      {
        process: evil,
        pid: 1,
        packets_sent: 1,
        bytes_sent: 1,
        packets_received: 0,
        bytes_received: 0,
        conversations: 1,
        first_seen: '2026-01-01T00:00:00.000000Z',
        last_seen: '2026-01-01T00:00:00.000000Z',
      },
    ])
    expect(text).toContain('\\x1b]0;pwned')
    expect(hasControl(text)).toBe(false)
  })
})
