import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ProbeTargetsStore } from '../../../electron/engine/probes/targets-store'

describe('ProbeTargetsStore', () => {
  it('keeps the list in the history database across stores (restarts)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fs-targets-')), 'history.db')
    const a = new ProbeTargetsStore(() => path)
    expect(a.get()).toEqual({ targets: [], interval_ms: 1000 })
    a.set({ targets: ['tcp://10.0.0.1:443', 'icmp://example.org'], interval_ms: 250 })
    a.close()
    const b = new ProbeTargetsStore(() => path)
    expect(b.get()).toEqual({
      targets: ['tcp://10.0.0.1:443', 'icmp://example.org'],
      interval_ms: 250,
    })
    b.set({ targets: [], interval_ms: 1000 })
    expect(b.get().targets).toEqual([])
    b.close()
  })

  it('without a database keeps the list in memory for the session', () => {
    const s = new ProbeTargetsStore(() => null)
    expect(s.get().targets).toEqual([])
    s.set({ targets: ['udp://10.0.0.1:7'], interval_ms: 50 })
    expect(s.get()).toEqual({ targets: ['udp://10.0.0.1:7'], interval_ms: 50 })
  })
})
