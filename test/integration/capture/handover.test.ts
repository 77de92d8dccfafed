/**
 * The capture helper's hand-overs (`-t PERIOD -a AT`): packets come out once a period, AT ms into
 * it on the wall clock, not once per kernel block (four times a second), and a stop still hands
 * over every packet held back. Checked on loopback against tshark reading the stream it wrote.
 * Needs root and tshark.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, ownUdpPort, unavailable } from './helpers'

const HELPER = join(ROOT, 'native', 'caphelper', 'build', 'flowscope-capture')
const skip = unavailable({ root: true, tools: ['tshark'], files: [HELPER] })
if (skip) console.warn(`capture/handover.test.ts skipped: ${skip}`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-handover-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs the helper on lo for our port while `traffic` runs; stdout chunks with their wall time. */
async function capture(args: string[], traffic: (port: number) => Promise<void>) {
  const udp = await ownUdpPort()
  const helper = spawn(HELPER, ['-i', 'lo', '-f', `udp and port ${udp.port}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const chunks: { atMs: number; bytes: Buffer }[] = []
  helper.stdout.on('data', (d: Buffer) => chunks.push({ atMs: Date.now(), bytes: d }))
  let status = ''
  await new Promise<void>((resolve, reject) => {
    helper.stderr.on('data', (d: Buffer) => {
      status += d.toString()
      if (status.includes('ready')) resolve()
    })
    helper.on('exit', (code) => reject(new Error(`helper exited ${code}: ${status}`)))
  })
  const exited = new Promise((resolve) => helper.on('exit', resolve))
  await sleep(200) // the pcap header's chunk apart from the packets
  const afterHeader = chunks.length
  await traffic(udp.port)
  helper.kill('SIGTERM')
  await exited
  udp.close()
  const file = join(dir, `${args.join('') || 'plain'}.pcap`)
  writeFileSync(file, Buffer.concat(chunks.map((c) => c.bytes)))
  const frames = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean).length
  return { frames, data: chunks.slice(afterHeader), status }
}

/** 50 datagrams a second for 3.2 s, the last one just before the stop. */
async function steady(port: number): Promise<void> {
  const tx = (await import('node:dgram')).createSocket('udp4')
  for (let i = 0; i < 160; i++) {
    tx.send(Buffer.alloc(60), port, '127.0.0.1')
    await sleep(20)
  }
  tx.close()
}

describe.skipIf(skip !== null)('capture helper hand-overs', () => {
  it('hands packets over once a period at its phase, and all of them at a stop', async () => {
    const held = await capture(['-t', '1000', '-a', '700'], steady)
    const plain = await capture([], steady)
    const phases = held.data.map((c) => c.atMs % 1000)
    console.log(
      `hand-overs: -t 1000 -a 700: ${held.data.length} chunks at ${JSON.stringify(phases)} ms; ` +
        `without -t: ${plain.data.length} chunks; frames ${held.frames} and ${plain.frames}`,
    )
    // Every datagram sent was handed over, the ones held back at the stop too.
    expect(held.frames).toBe(160)
    expect(plain.frames).toBe(160)
    // Without -t each kernel block (at most 250 ms) is its own chunk: over 3 s, many more.
    expect(plain.data.length).toBeGreaterThanOrEqual(8)
    // With it: three hand-overs in 3.2 s, and the stop's.
    expect(held.data.length).toBeLessThanOrEqual(5)
    // All but the stop's come just after 700 ms into a second (a pipe read may split one).
    const onPhase = phases.slice(0, -1).filter((p) => p >= 700 && p < 900)
    expect(onPhase.length).toBeGreaterThanOrEqual(2)
    // A stats line right before each hand-over, and the last one at the stop.
    expect(held.status.match(/^stats \d+ 0 0$/gm)?.length).toBeGreaterThanOrEqual(3)
  }, 30_000)
})
