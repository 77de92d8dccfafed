/**
 * Stats at a tick: a helper that hands over (`-t`/`-a`) writes a stats line right before each
 * hand-over, and the worker takes that line instead of asking with SIGUSR1 (a round trip that
 * wakes both processes); with no new line it still asks. A stand-in helper script answers
 * SIGUSR1 with a line of its own, so the test sees which one was used.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HelperProcess, type HelperOptions } from '../../../electron/shared/capture/capture-helper'
import { loadNative } from '../../../electron/shared/capture/native'

const dir = mkdtempSync(join(tmpdir(), 'fsc-hstats-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Prints its arguments, says ready, writes one hand-over's stats line, then answers SIGUSR1.
const script = join(dir, 'helper.sh')
writeFileSync(
  script,
  `#!/bin/bash
trap 'echo "stats 999 0 0" >&2' USR1
echo "$*" > ${JSON.stringify(join(dir, 'args'))}
printf 'ready 1 128\nstats 5 1 0\n' >&2
while :; do sleep 0.02; done
`,
)
chmodSync(script, 0o755)

const native = loadNative()
const start = (handover?: HelperOptions['handover']) =>
  HelperProcess.start(native, script, 'lo', {
    snaplen: 128,
    bufferBytes: 1 << 20,
    promiscuous: true,
    ...(handover && { handover }),
  })

describe('helper stats at a tick', () => {
  it('takes the hand-over line when there is a new one, else asks', () => {
    const helper = start({ periodMs: 1000, atMs: 390 })
    try {
      expect(readFileSync(join(dir, 'args'), 'utf8')).toContain('-t 1000 -a 390')
      expect(helper.requestStats(native, 2000)).toEqual({
        received: 5,
        dropped_kernel: 1,
        dropped_interface: 0,
      })
      // Nothing new since: asked, and answered.
      expect(helper.requestStats(native, 2000)?.received).toBe(999)
    } finally {
      helper.stop()
    }
  })

  it('always asks a helper that does not hand over', () => {
    const helper = start()
    try {
      expect(helper.requestStats(native, 2000)?.received).toBe(999)
    } finally {
      helper.stop()
    }
  })
})
