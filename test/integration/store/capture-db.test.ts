/**
 * Issue 4's first check through the real commands: `flowscope capture --db` on a veth while
 * traffic flows, then `flowscope report --by conversation --format csv` over the whole period
 * must give per-conversation totals equal to the capture's own report, in all 22 columns (who
 * is talking included: iperf3's program and PID, the private range). Needs root, iperf3, ping.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONVERSATION_REPORT_COLUMNS } from '../../../electron/shared/report/rows'
import { FscNetns, csvObjects, flowscope, flowscopeAsync, unavailable } from '../capture/helpers'

const skip = unavailable({ root: true, tools: ['iperf3', 'ping', 'ip'] })
if (skip) console.warn(`store/capture-db.test.ts skipped: ${skip}`)

const ns = new FscNetns()
let dir = ''
beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fss-capdb-'))
  ns.create()
})
afterAll(() => {
  ns.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const rows = (csv: string) =>
  csvObjects(csv)
    .map((r) => CONVERSATION_REPORT_COLUMNS.map((c) => r[c]).join(' '))
    .sort()

describe.skipIf(skip !== null)('capture --db, then report', () => {
  it('reports per conversation exactly what the capture itself reported', async () => {
    const db = join(dir, 'history.db')
    const own = join(dir, 'capture.csv')
    const capture = flowscopeAsync(
      ['capture', '-i', ns.vethA, '--duration', '6', '--db', db, '--format', 'csv', '--out', own],
      ns.in(ns.a),
    )
    await sleep(1200)
    ns.run(ns.b, ['iperf3', '-s', '-D', '-1', '-p', '5311'])
    await sleep(300)
    await Promise.all(
      [
        ['ping', '-q', '-c', '15', '-i', '0.1', ns.addrB],
        ['iperf3', '-c', ns.addrB, '-p', '5311', '-t', '3', '-b', '30M'],
      ].map(
        (cmd) =>
          new Promise<void>((res) =>
            spawn('ip', ['netns', 'exec', ns.a, ...cmd], { stdio: 'ignore' }).on('exit', () =>
              res(),
            ),
          ),
      ),
    )
    const done = await capture.done
    expect(done.code, done.stderr).toBe(0)
    expect(done.stderr).not.toMatch(/warning/)

    const report = flowscope([
      'report',
      '--db',
      db,
      '--from',
      '-1h',
      '--to',
      'now',
      '--by',
      'conversation',
      '--format',
      'csv',
    ])
    expect(report.code, report.stderr).toBe(0)
    const captured = rows(readFileSync(own, 'utf8'))
    expect(captured.some((r) => r.startsWith('tcp '))).toBe(true)
    expect(captured.some((r) => r.startsWith('icmp '))).toBe(true)
    expect(rows(report.stdout)).toEqual(captured)
    // The iperf3 client runs in the captured namespace: its connections are its own.
    const stored = csvObjects(report.stdout).filter((r) => r.process === 'iperf3')
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.every((r) => /^\d+$/.test(r.pid ?? '') && r.country_b === 'private')).toBe(true)
  })

  it('--no-store records nothing; an unusable --db is a warning and the capture goes on', async () => {
    const notDb = join(dir, 'notes.txt')
    writeFileSync(notDb, 'not a database\n')
    const r = flowscope(
      ['capture', '-i', ns.vethA, '--duration', '1', '--db', notDb, '--format', 'csv'],
      ns.in(ns.a),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/warning: not recording: /)
    expect(readFileSync(notDb, 'utf8')).toBe('not a database\n')
    const none = join(dir, 'none.db')
    const n = flowscope(
      ['capture', '-i', ns.vethA, '--duration', '1', '--db', none, '--no-store', '--format', 'csv'],
      ns.in(ns.a),
    )
    expect(n.code, n.stderr).toBe(0)
    expect(existsSync(none)).toBe(false)
  })
})
