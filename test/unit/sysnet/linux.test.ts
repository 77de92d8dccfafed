/**
 * LinuxSysNet reads /proc/net/dev through one open descriptor: each read sees the table as it is
 * then (a changed file, the kernel's growing counters), a table of any size is read whole, and
 * close() lets go of the descriptor (the next read opens it again).
 */
import { createSocket } from 'node:dgram'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LinuxSysNet } from '../../../electron/engine/sysnet/linux'

const HEAD = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
`
const line = (name: string, rx: number) =>
  `${name}: ${rx} ${rx} 0 0 0 0 0 0 ${2 * rx} ${rx} 0 0 0 0 0 0\n`

const dir = mkdtempSync(join(tmpdir(), 'fsc-sysnet-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const openFds = () => readdirSync('/proc/self/fd').length

describe('LinuxSysNet.readCounters', () => {
  it('sees every change through one descriptor, whatever the size', () => {
    const path = join(dir, 'dev')
    writeFileSync(path, HEAD + line('eth0', 10))
    const net = new LinuxSysNet(path)
    const fds = openFds()
    expect(net.readCounters().get('eth0')).toMatchObject({ rx_bytes: 10, tx_bytes: 20 })
    expect(openFds()).toBe(fds + 1)
    // Rewritten in place, then grown past the 16 KB first buffer (500 interfaces).
    writeFileSync(path, HEAD + line('eth0', 11))
    expect(net.readCounters().get('eth0')).toMatchObject({ rx_bytes: 11 })
    const many = Array.from({ length: 500 }, (_, i) => line(`veth${i}`, i + 1)).join('')
    writeFileSync(path, HEAD + many)
    const m = net.readCounters()
    expect(m.size).toBe(500)
    expect(m.get('veth499')).toMatchObject({ rx_bytes: 500, tx_bytes: 1000 })
    expect(openFds()).toBe(fds + 1)
    net.close()
    expect(openFds()).toBe(fds)
    expect(net.readCounters().get('veth0')).toMatchObject({ rx_bytes: 1 })
    net.close()
  })

  it.skipIf(!existsSync('/proc/net/dev'))('reads the kernel table afresh each time', () => {
    const net = new LinuxSysNet()
    const lo = () => net.readCounters().get('lo')!.tx_packets
    const before = lo()
    // A datagram on loopback between two reads of the same descriptor.
    const s = createSocket('udp4')
    return new Promise<void>((resolve) => {
      s.send(Buffer.alloc(8), 9, '127.0.0.1', () => {
        s.close()
        expect(lo()).toBeGreaterThan(before)
        net.close()
        resolve()
      })
    })
  })
})
