/**
 * The capture helper's front door: every argument it does not understand is refused (exit 2,
 * one `error USAGE` line, nothing on stdout); the path logic finds it in a checkout and in a
 * packaged app; the advice never grants node or Electron a capability, nor CAP_NET_ADMIN.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CAPTURE_HELPER,
  findCaptureHelper,
  validInterfaceName,
} from '../../../electron/shared/capture/capture-helper'
import { captureAdvice } from '../../../electron/shared/capture/errors'

const ROOT = resolve(__dirname, '../../..')
const HELPER = join(ROOT, 'native', 'caphelper', 'build', CAPTURE_HELPER)
const built = findCaptureHelper({}, undefined, ROOT) === HELPER
if (!built) console.warn(`capture-helper.test.ts: helper tests skipped: ${HELPER} not built`)

const dir = mkdtempSync(join(tmpdir(), 'fsc-caph-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!built)('flowscope-capture refuses what it does not understand', () => {
  const bad: [string, string[]][] = [
    ['no arguments', []],
    ['an unknown option', ['-i', 'lo', '-w', '/tmp/x']],
    ['a positional argument', ['-i', 'lo', 'extra']],
    ['an option without value', ['-i']],
    ['a repeated option', ['-i', 'lo', '-i', 'eth0']],
    ['a path as interface', ['-i', '../../etc']],
    ['a slash in the interface', ['-i', 'a/b']],
    ['a too long interface', ['-i', 'x'.repeat(16)]],
    ['an interface that looks like an option', ['-i', '-p']],
    ['control characters in the filter', ['-i', 'lo', '-f', 'udp\nport 53']],
    ['a huge filter', ['-i', 'lo', '-f', 'udp or '.repeat(4000) + 'udp']],
    ['snaplen 0', ['-i', 'lo', '-s', '0']],
    ['snaplen with a sign', ['-i', 'lo', '-s', '+128']],
    ['snaplen in hex', ['-i', 'lo', '-s', '0x80']],
    ['snaplen too big', ['-i', 'lo', '-s', '262145']],
    ['a tiny buffer', ['-i', 'lo', '-B', '1024']],
    ['a long option', ['--interface', 'lo']],
    ['--check with more', ['--check', '-i', 'lo']],
  ]
  for (const [what, args] of bad) {
    it(`refuses ${what}`, () => {
      const r = spawnSync(HELPER, args, { encoding: 'utf8', timeout: 5000 })
      expect(r.status).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^error USAGE [^\n]+\n$/)
    })
  }

  it('says no such device and bad filter with the app codes, one line each', () => {
    const nodev = spawnSync(HELPER, ['-i', 'fscnope0'], { encoding: 'utf8', timeout: 5000 })
    expect(nodev.status).toBe(1)
    expect(nodev.stderr).toMatch(/^error (NO_SUCH_DEVICE|PERMISSION_DENIED) [^\n]+\n$/)
    if (process.getuid?.() === 0) {
      const filter = spawnSync(HELPER, ['-i', 'lo', '-f', 'port port'], {
        encoding: 'utf8',
        timeout: 5000,
      })
      expect(filter.status).toBe(1)
      expect(filter.stderr).toMatch(/^ready 1 128\nerror BAD_FILTER [^\n]+\n$|^error BAD_FILTER/)
    }
  })
})

describe('finding the helper', () => {
  it('prefers FLOWSCOPE_CAPTURE_HELPER, then resources, then a checkout above this file', () => {
    const res = join(dir, 'resources')
    mkdirSync(res, { recursive: true })
    writeFileSync(join(res, CAPTURE_HELPER), '')
    const unpacked = join(
      dir,
      'app',
      'resources',
      'app.asar.unpacked',
      'native',
      'caphelper',
      'build',
    )
    mkdirSync(unpacked, { recursive: true })
    writeFileSync(join(unpacked, CAPTURE_HELPER), '')
    expect(findCaptureHelper({}, res, '/nowhere/out/main')).toBe(join(res, CAPTURE_HELPER))
    // Code inside app.asar finds the unpacked twin (an archive member cannot be executed).
    const inAsar = join(dir, 'app', 'resources', 'app.asar', 'out', 'main')
    expect(findCaptureHelper({}, undefined, inAsar)).toBe(join(unpacked, CAPTURE_HELPER))
    expect(
      findCaptureHelper({ FLOWSCOPE_CAPTURE_HELPER: join(res, CAPTURE_HELPER) }, undefined, '/x'),
    ).toBe(join(res, CAPTURE_HELPER))
    expect(findCaptureHelper({ FLOWSCOPE_CAPTURE_HELPER: join(dir, 'gone') }, res, '/x')).toBeNull()
    expect(findCaptureHelper({}, undefined, '/nowhere/at/all')).toBeNull()
  })

  it('accepts interface names as the kernel does', () => {
    for (const ok of ['lo', 'eth0', 'any', 'veth-a.100', 'wlp2s0', 'x'.repeat(15)])
      expect(validInterfaceName(ok), ok).toBe(true)
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', '-i', 'x'.repeat(16), 'é', 'a\n'])
      expect(validInterfaceName(bad), JSON.stringify(bad)).toBe(false)
  })
})

describe('capture advice', () => {
  const checkout = '/home/u/src/flowscope/native/caphelper/build/flowscope-capture'
  const packaged = '/opt/Flowscope/resources/flowscope-capture'
  const all = [
    captureAdvice(null),
    captureAdvice(checkout),
    captureAdvice(packaged, true),
    captureAdvice(packaged, false),
  ]

  it('never grants node, Electron or CAP_NET_ADMIN', () => {
    for (const a of all) {
      expect(a).not.toMatch(/net_admin|which node|electron/i)
      expect(a.split('\n')).toHaveLength(1)
    }
  })

  it('names the exact step for each case', () => {
    expect(all[0]).toMatch(/npm run build:native/)
    // setcap last: chgrp clears file capabilities.
    expect(all[1]).toContain(
      `sudo chgrp flowscope ${checkout} && sudo chmod 0750 ${checkout} && sudo setcap cap_net_raw+ep ${checkout}`,
    )
    expect(all[1]).toContain('sudo usermod -aG flowscope "$USER"')
    expect(all[2]).toMatch(
      /^add your user to the flowscope group.*sudo usermod -aG flowscope "\$USER"`, then log out and back in$/,
    )
    expect(all[3]).toContain(`sudo setcap cap_net_raw+ep ${packaged}`)
  })
})
