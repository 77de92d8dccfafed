/**
 * A real full disk and a real read-only mount (a tiny tmpfs of our own): the writer reports a
 * clear failure and stops, the caller goes on, and what was committed stays readable.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { StoreFailure } from '../../../common/history'
import { StoreError } from '../../../electron/shared/store/errors'
import { openHistoryDb } from '../../../electron/shared/store/open'
import { Recorder } from '../../../electron/shared/store/recorder'
import { HistoryWriter } from '../../../electron/shared/store/writer'
import { tempDir } from '../../unit/store/helpers'
import { built, flowscope } from './helpers'

const tmp = tempDir(`fss-tmpfs-${process.pid}-`)
const mnt = join(tmp.dir, 'mnt')
mkdirSync(mnt)
const mounted =
  process.getuid?.() === 0 &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', `fss${process.pid}`, mnt]).status === 0
if (!mounted) console.warn('disk-full test skipped: needs root to mount a tmpfs')

describe.skipIf(!mounted)('full disk and read-only mount', () => {
  const db = join(mnt, 'history.db')
  afterAll(() => {
    spawnSync('umount', [mnt])
    rmSync(tmp.dir, { recursive: true, force: true })
  })

  it('stops with DISK_FULL on ENOSPC; the caller keeps running', () => {
    const w = new HistoryWriter(openHistoryDb(db), db, { flush_ms: 0, max_rows: 1e9 })
    const failures: StoreFailure[] = []
    const recorder = new Recorder(w)
    recorder.onFailure((f) => failures.push(f))
    let committed = 0
    for (let batch = 0; batch < 200 && w.state === 'open'; batch++) {
      for (let i = 0; i < 200; i++) {
        const t = 1_790_000_000_000_000 + batch * 10e6
        recorder.conversations([
          {
            protocol: 'tcp',
            address_a: `2001:db8::${batch.toString(16)}:${i.toString(16)}`,
            port_a: 40000 + i,
            address_b: '2001:db8::1',
            port_b: 443,
            packets_a_to_b: 1,
            bytes_a_to_b: 100,
            packets_b_to_a: 1,
            bytes_b_to_a: 100,
            first_seen_us: t,
            last_seen_us: t,
            retransmissions: 0,
            handshake_rtt_ms: null,
          },
        ])
      }
      if (w.flush()) committed = w.committed_rows
    }
    expect(w.state).toBe('failed')
    expect(failures).toHaveLength(1)
    expect(failures[0]!.code).toBe('DISK_FULL')
    expect(failures[0]!.message).toContain(db)
    expect(() =>
      recorder.interfaces([
        {
          time_us: 0,
          name: 'eth0',
          rx_bytes: 1,
          tx_bytes: 1,
          rx_packets: 1,
          tx_packets: 1,
          drops: 0,
        },
      ]),
    ).not.toThrow()
    w.close()
    expect(committed).toBeGreaterThan(0)
    // The committed batches are all there.
    if (built()) {
      const res = flowscope(['report', '--db', db, '--format', 'csv', '--by', 'protocol'])
      expect(res.stderr).toBe('')
      expect(res.stdout.split('\n')[1]).toBe(`tcp,${committed * 2},${committed * 200},${committed}`)
    }
  })

  it('refuses to record into a read-only mount with a clear error', () => {
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0)
    let caught: unknown
    try {
      openHistoryDb(db)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(StoreError)
    expect((caught as StoreError).code).toBe('READ_ONLY')
    expect((caught as StoreError).message).toMatch(/read-only/)
    let fresh: unknown
    try {
      openHistoryDb(join(mnt, 'other', 'h.db'))
    } catch (err) {
      fresh = err
    }
    expect((fresh as StoreError).code).toBe('READ_ONLY')
    // Reading still works from the read-only mount.
    if (built()) {
      const res = flowscope(['report', '--db', db, '--format', 'csv', '--by', 'protocol'])
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      expect(res.stdout).toMatch(/^protocol,packets,bytes,conversations\ntcp,/)
    }
  })
})
