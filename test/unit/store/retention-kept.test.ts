/** Retention set through the contract survives a restart; --retention-* flags win over it. */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EventBus } from '../../../electron/engine/events'
import { History } from '../../../electron/engine/history'
import { retentionFromFlags } from '../../../electron/shared/store'
import { tempDir } from './helpers'

describe('history retention', () => {
  const tmp = tempDir('fss-retkept-')
  afterAll(tmp.cleanup)
  const db = join(tmp.dir, 'history.db')

  it('is kept in the database between runs', () => {
    const first = new History(new EventBus(), db, {}, true)
    const before = first.retention()
    const set = first.setRetention({ hosts: { '10s': 3600 }, probes: { '1d': null } })
    expect(set.hosts['10s']).toBe(3600)
    expect(set.hosts['10s']).not.toBe(before.hosts['10s'])
    first.close()

    const again = new History(new EventBus(), db, {}, true)
    expect(again.retention()).toEqual(set)
    again.close()
  })

  it('gives way to retention given at start (flags)', () => {
    const retention = retentionFromFlags({ 'retention-hosts': '10s=2h' })
    const flagged = new History(new EventBus(), db, {}, true, { writer: { retention } })
    expect(flagged.retention().hosts['10s']).toBe(7200)
    flagged.close()
  })
})
