/**
 * Ctrl-C ends `flowscope analyze -` on a pipe that sends nothing (before or after the pcap
 * header): the wait happens on the event loop, and close() wakes the addon's reading thread.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { CLI, unavailable } from './helpers'

const skip = unavailable({})
if (skip) console.warn(`capture/stdin-interrupt.test.ts skipped: ${skip}`)

/** pcap global header, little-endian, snaplen 128, Ethernet. */
const HEADER = Buffer.from(
  'd4c3b2a1' + '02000400' + '00000000' + '00000000' + '80000000' + '01000000',
  'hex',
)

async function interruptSilentPipe(
  first: Buffer | null,
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const child = spawn(process.execPath, [CLI, 'analyze', '-'], { stdio: ['pipe', 'pipe', 'pipe'] })
  if (first) child.stdin!.write(first)
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  await new Promise((r) => setTimeout(r, 1500))
  const t0 = Date.now()
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const code = await exited
  clearTimeout(timer)
  child.stdin!.destroy()
  return { code, stderr, ms: Date.now() - t0 }
}

describe.skipIf(skip !== null)('analyze - on a silent pipe', () => {
  it('Ctrl-C before any byte arrived: interrupted, exit 130', async () => {
    const r = await interruptSilentPipe(null)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toBe('flowscope: analyze: interrupted\n')
    expect(r.ms).toBeLessThan(3000)
  })

  it('Ctrl-C after the header, while no packet comes: interrupted, exit 130', async () => {
    const r = await interruptSilentPipe(HEADER)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toBe('flowscope: analyze: interrupted\n')
    expect(r.ms).toBeLessThan(3000)
  })
})
