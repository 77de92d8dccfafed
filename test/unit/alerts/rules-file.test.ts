/** The rules file format: the example loads; malformed files are refused with line and reason. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AlertConfig } from '../../../common/alerts'
import {
  loadRulesFile,
  parseRules,
  RulesFileError,
} from '../../../electron/engine/alerts/rules-file'
import { SqliteRulesStore } from '../../../electron/engine/alerts/rules-store'

const EXAMPLE = `rules:
  - name: uplink busy
    metric: interface_receive_bytes_per_second   # the metric names are listed in docs/alerts.md
    match: { device: eth0 }
    above: 12500000          # or below:
    for: 10s
    clear: 10000000          # optional; the threshold itself when absent
    severity: warning
webhooks:
  - url: http://127.0.0.1:9099/alerts
`

const refused = (text: string): { line: number | null; reason: string } => {
  try {
    parseRules(text, 'r.yml')
  } catch (err) {
    if (err instanceof RulesFileError) return { line: err.line, reason: err.reason }
    throw err
  }
  throw new Error('accepted')
}

describe('rules file', () => {
  it("loads the issue's example", () => {
    const c = parseRules(EXAMPLE)
    expect(c.rules).toEqual([
      {
        name: 'uplink busy',
        metric: 'interface_receive_bytes_per_second',
        match: { device: 'eth0' },
        above: 12500000,
        for: '10s',
        clear: 10000000,
        severity: 'warning',
        labels: {},
        annotations: {},
      },
    ])
    expect(c.webhooks[0]).toMatchObject({ url: 'http://127.0.0.1:9099/alerts', retries: 3 })
  })

  it.each([
    [
      'rules:\n  - name: a\n    metric: nope\n    above: 1\n',
      3,
      /rules\.0\.metric: Invalid option/,
    ],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    above: lots\n',
      4,
      /rules\.0\.above/,
    ],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    above: 1\n    for: soon\n',
      5,
      /duration/,
    ],
    ['rules:\n  - name: a\n    metric: probe_loss_percent\n', 2, /exactly one of above or below/],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    above: 5\n    clear: 9\n',
      5,
      /clear: must not be above/,
    ],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    match: { device: eth0 }\n    above: 5\n',
      4,
      /no label 'device'/,
    ],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    above: 5\n    colour: red\n',
      2,
      /unknown field 'colour'/,
    ],
    [
      'rules:\n  - name: a\n    metric: probe_loss_percent\n    above: 5\n  - name: a\n    metric: probe_loss_percent\n    above: 6\n',
      5,
      /duplicate rule name 'a'/,
    ],
    ['rules:\n  - name: a\n  metric: [\n', 3, /./],
    ['rules: [1, 2\n', 2, /./],
    ['webhooks:\n  - url: ftp://x/\n', 2, /http/],
    ['- just\n- a list\n', 1, /mapping/],
  ])('refuses %j at line %s', (text, line, reason) => {
    const r = refused(text)
    if (line !== null) expect(r.line).toBe(line)
    expect(r.reason).toMatch(reason)
  })

  it('names the file and line in the message; a missing file is refused too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-rules-'))
    const file = join(dir, 'rules.yml')
    writeFileSync(file, 'rules:\n  - name: a\n    metric: x\n    above: 1\n')
    await expect(loadRulesFile(file)).rejects.toThrow(`${file}:3: rules.0.metric`)
    await expect(loadRulesFile(join(dir, 'none.yml'))).rejects.toThrow(/cannot read: ENOENT/)
  })

  it('keeps rules in the history database across restarts', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fs-rules-db-')), 'history.db')
    const config = parseRules(EXAMPLE)
    const a = new SqliteRulesStore(path)
    expect(a.load()).toBeNull()
    a.save(config)
    a.close()
    const b = new SqliteRulesStore(path)
    expect(AlertConfig.parse(b.load())).toEqual(config)
    b.close()
  })
})
