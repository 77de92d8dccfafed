import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { findAddon, loadAddon, type IcmpReply } from '../../../electron/workers/probe/icmp-addon'

function canOpen(): string | null {
  if (process.platform !== 'linux') return 'ICMP sockets are Linux-only'
  if (!findAddon()) return 'addon not built (npm run build:native)'
  try {
    new (loadAddon().IcmpSocket)(4, 'auto', () => {}).close()
    return null
  } catch (err) {
    return `no ICMP socket rights here: ${(err as Error).message}`
  }
}
const reason = canOpen()
if (reason) console.warn(`skipping fsp_icmp addon tests: ${reason}`)

const fds = () => readdirSync('/proc/self/fd').length

describe.skipIf(reason !== null)('fsp_icmp addon', () => {
  it('echoes loopback with kernel receive timestamps after the send time', async () => {
    const { IcmpSocket } = loadAddon()
    const replies: IcmpReply[] = []
    const s = new IcmpSocket(4, 'auto', (rs) => replies.push(...rs))
    expect(['raw', 'dgram']).toContain(s.kind)
    const sent = s.send('127.0.0.1', 4242, Buffer.from('fsp-test'))
    for (let i = 0; i < 50 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    s.close()
    const r = replies.find((x) => x.seq === 4242)!
    expect(r.from).toBe('127.0.0.1')
    expect(r.payload.toString()).toBe('fsp-test')
    expect(r.kernel_ts).toBe(s.timestamps !== 'none')
    expect(r.rx_us).toBeGreaterThanOrEqual(sent)
    expect(r.rx_us - sent).toBeLessThan(100_000)
  })

  it('leaves no descriptor behind after close, and rejects bad arguments cleanly', () => {
    const { IcmpSocket } = loadAddon()
    const before = fds()
    for (let i = 0; i < 200; i++) new IcmpSocket(i % 2 ? 6 : 4, 'auto', () => {}).close()
    expect(fds()).toBe(before)
    const s = new IcmpSocket(4, 'auto', () => {})
    expect(() => s.send('not-an-ip', 1, Buffer.alloc(8))).toThrow(/numeric address/)
    expect(() => s.send('127.0.0.1', 1, Buffer.alloc(2000))).toThrow(/too large/)
    s.close()
    s.close() // idempotent
    expect(() => s.send('127.0.0.1', 1, Buffer.alloc(8))).toThrow(/closed/)
    expect(fds()).toBe(before)
  })
})
