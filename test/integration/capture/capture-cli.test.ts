/**
 * `flowscope capture` ends on Ctrl-C (SIGINT) and prints the report of what it saw, drop counts
 * on stderr. Captures on loopback with a filter on a port of our own (root needed).
 */
import { describe, expect, it } from 'vitest'
import { csvObjects, flowscopeAsync, ownUdpPort, unavailable } from './helpers'

const skip = unavailable({ root: true })
if (skip) console.warn(`capture/capture-cli.test.ts skipped: ${skip}`)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(skip !== null)('flowscope capture', () => {
  it('stops on SIGINT and reports what it saw', async () => {
    const udp = await ownUdpPort()
    const port = udp.port
    const run = flowscopeAsync([
      'capture',
      '-i',
      'lo',
      '--filter',
      `udp and port ${port}`,
      '--format',
      'csv',
    ])
    await sleep(1500)
    await udp.send(25, 100)
    udp.close()
    await sleep(300)
    run.child.kill('SIGINT')
    const r = await run.done
    expect(r.code, r.stderr).toBe(0)
    // On loopback the kernel counts each packet twice (sent and received); libpcap keeps one.
    expect(r.stderr).toMatch(
      /^capture: (25|50) packets received by filter, 0 dropped by kernel, 0 dropped by interface\n$/,
    )
    const rows = csvObjects(r.stdout)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      protocol: 'udp',
      address_a: '127.0.0.1',
      port_b: String(port),
      packets_a_to_b: '25',
      bytes_a_to_b: String(25 * 142),
      packets_b_to_a: '0',
    })
  })

  it('Ctrl-C right after the traffic still counts every packet sent before it', async () => {
    // The capture helper takes packets from the kernel in blocks (up to 250 ms late): a stop must
    // first hand over the last block, or the final burst would be lost.
    const udp = await ownUdpPort()
    const run = flowscopeAsync([
      'capture',
      '-i',
      'lo',
      '--filter',
      `udp and port ${udp.port}`,
      '--format',
      'csv',
    ])
    await sleep(1500)
    await udp.burst(40, 60)
    udp.close()
    run.child.kill('SIGINT')
    const r = await run.done
    expect(r.code, r.stderr).toBe(0)
    const rows = csvObjects(r.stdout)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ packets_a_to_b: '40', bytes_a_to_b: String(40 * 102) })
  })

  it('stops after --duration', async () => {
    const udp = await ownUdpPort()
    const t0 = Date.now()
    const r = await flowscopeAsync([
      'capture',
      '-i',
      'lo',
      '--filter',
      `udp and port ${udp.port}`,
      '--duration',
      '1.5',
      '--by',
      'protocol',
    ]).done
    udp.close()
    expect(r.code, r.stderr).toBe(0)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500)
    expect(r.stdout).toContain('(no traffic)')
    expect(r.stderr).toMatch(/dropped by kernel/)
  })
})
