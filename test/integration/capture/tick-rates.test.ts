/**
 * The live 2 s rate is right at every tick, checked against tcpdump capturing the same traffic:
 * the capture worker (through the capture helper, which hands packets over in kernel blocks up
 * to 250 ms late) ticks once a second on loopback while a steady UDP stream of known, varying
 * sizes flows; each tick's 2 s rate for the stream must equal the bytes tcpdump saw in the two
 * complete seconds before the tick, halved. Needs root, tcpdump and tshark.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { captureHost } from '../../../electron/engine/capture/worker'
import { forkLauncherAt } from '../../../electron/engine/workers/launcher'
import type { TickMessage } from '../../../electron/shared/protocol/capture'
import { WORKER, ownUdpPort, unavailable } from './helpers'

const skip = unavailable({ root: true, tools: ['tcpdump', 'tshark'], files: [WORKER] })
if (skip) console.warn(`capture/tick-rates.test.ts skipped: ${skip}`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-rates-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(skip !== null)('live rates', () => {
  it("each tick's 2 s rate equals tcpdump's bytes in the two seconds before it", async () => {
    const udp = await ownUdpPort()
    const filter = `udp and port ${udp.port}`
    const file = join(dir, 'tcpdump.pcap')
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-U', '-n', '-w', file, filter], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    await new Promise<void>((resolve, reject) => {
      let seen = ''
      tcpdump.stderr.on('data', (d: Buffer) => {
        seen += d.toString()
        if (seen.includes('listening on')) resolve()
      })
      tcpdump.on('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${seen}`)))
    })
    const host = captureHost({ launcher: forkLauncherAt(() => WORKER), restart: false })
    const ticks: TickMessage[] = []
    host.on('tick', (t) => ticks.push(t))
    await host.start({
      type: 'start',
      source: { kind: 'live', iface: 'lo', filter },
      tickMs: 1000,
    })
    // 50 datagrams a second for 7 s, 40 to 139 bytes of payload each.
    const sock = (await import('node:dgram')).createSocket('udp4')
    let i = 0
    const timer = setInterval(() => {
      sock.send(Buffer.alloc(40 + (i++ % 100)), udp.port, '127.0.0.1')
    }, 20)
    await sleep(7000)
    clearInterval(timer)
    await sleep(300)
    await host.stop()
    sock.close()
    udp.close()
    tcpdump.kill('SIGINT')
    await new Promise((resolve) => tcpdump.on('exit', resolve))

    // Bytes on the wire per second of capture time, as tcpdump recorded them.
    const perSecond = new Map<number, number>()
    const lines = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len'],
      { encoding: 'utf8' },
    )
    for (const line of lines.split('\n').filter(Boolean)) {
      const [t, len] = line.split('\t')
      const sec = Math.floor(Number(t))
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + Number(len))
    }
    const seconds = [...perSecond.keys()].sort((a, b) => a - b)
    const [first, last] = [seconds[0]!, seconds.at(-1)!]
    // Ticks whose two seconds lie wholly within the traffic (and the capture is 2 s old).
    const checked = ticks
      .map((t) => ({ t, sec: Math.floor(t.snapshot.time_us / 1e6) }))
      .filter(({ sec }) => sec - 2 > first && sec - 1 < last)
    expect(checked.length).toBeGreaterThanOrEqual(3)
    const pairs = checked.map(({ t, sec }) => {
      const row = t.snapshot.conversations.find((c) => c.port_b === udp.port)
      const ours = row ? row.rate_a_to_b_bps.s2 + row.rate_b_to_a_bps.s2 : 0
      const truth = ((perSecond.get(sec - 2) ?? 0) + (perSecond.get(sec - 1) ?? 0)) / 2
      return { tickMsIntoSecond: Math.round((t.snapshot.time_us / 1000) % 1000), ours, truth }
    })
    console.log(`2 s rate (B/s) per tick, ours vs tcpdump: ${JSON.stringify(pairs)}`)
    for (const p of pairs) expect(p.ours).toBe(p.truth)
  }, 30_000)
})
