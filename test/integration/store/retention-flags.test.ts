/** `--retention-hosts` (and the other kinds) on the built CLI: a bad value is one line, exit 2. */
import { describe, expect, it } from 'vitest'
import { built, flowscope } from './helpers'

describe.skipIf(!built())('--retention-KIND flags', () => {
  it('serve names the bad --retention-hosts part in one line and exits 2', () => {
    const res = flowscope([
      'serve',
      '--no-store',
      '--port',
      '0',
      '--retention-hosts',
      '1h=30d,5m=1d',
    ])
    expect(res.code).toBe(2)
    const lines = res.stderr.split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/--retention-hosts: '5m=1d': expected TIER=DURATION/)
  })

  it('serve --help lists --retention-hosts', () => {
    const res = flowscope(['serve', '--help'])
    expect(res.stdout + res.stderr).toContain('--retention-hosts SPEC')
  })
})
