/** serve's alert and metrics options on the built CLI: bad input is one line and exit 2. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const reason =
  existsSync('out/main/cli.js') && existsSync('out/renderer/index.html')
    ? null
    : 'not built: run `npx electron-vite build` first'
if (reason) console.warn(`skipping serve CLI option tests: ${reason}`)

const run = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ['bin/flowscope.cjs', 'serve', '--port', '0', '--no-store', ...args],
    {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, FLOWSCOPE_METRICS_TOKEN: '' },
    },
  )

describe.skipIf(reason !== null)('flowscope serve --metrics / --rules', () => {
  it('refuses a malformed rules file with its line and reason, exit 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fs-rules-cli-')), 'rules.yml')
    writeFileSync(
      file,
      'rules:\n  - name: x\n    metric: interface_receive_bytes_per_second\n    above: 1\n    for: later\n',
    )
    const r = run('--rules', file)
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`--rules ${file}:5: rules.0.for:`)
  })

  it('refuses --metrics off loopback without a token, exit 2', () => {
    const r = run('--host', '0.0.0.0', '--insecure', '--metrics')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/needs --metrics-token or TLS/)
  })

  it('refuses a short token, exit 2', () => {
    const r = run('--metrics', '--metrics-token', 'short')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--metrics-token must be 16 to 4096/)
  })
})
