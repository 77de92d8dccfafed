/**
 * The flow export setting over the contract: bad values refused as BAD_REQUEST naming the field,
 * kept in the history database's meta table (one JSON row) or in memory without a store, handed
 * to each capture worker's start message, and a change restarts a running capture.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/api'
import { SqliteExportSettingsStore } from '../../../electron/engine/flowexport/service'
import { checkSettings } from '../../../electron/engine/flowexport/settings'
import { Monitor } from '../../../electron/engine/monitor'
import { openHistoryDb } from '../../../electron/shared/store'
import { fakeLauncher, tick } from '../engine/fake-worker'
import { FakeSysNet } from '../fakes'

const dir = mkdtempSync(join(tmpdir(), 'fse-flowexport-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ctx = { transport: 'websocket' } as const
const GOOD = {
  enabled: true,
  collectors: ['ipfix://127.0.0.1:4739', 'netflow9://[::1]', 'ipfix+tcp://collector.example'],
  active_timeout_s: 30,
  idle_timeout_s: 5,
  domain_id: 7,
}

describe('flowexport.get / flowexport.set', () => {
  it('starts off, with the defaults', async () => {
    const m = new Monitor({ sysnet: new FakeSysNet() })
    expect(await dispatch(m.handlers, 'flowexport.get', {}, ctx)).toEqual({
      ok: true,
      value: {
        enabled: false,
        collectors: [],
        active_timeout_s: 60,
        idle_timeout_s: 15,
        domain_id: 0,
      },
    })
  })

  it.each([
    [
      { collectors: ['http://x'] },
      /^flowexport\.set: collectors\[0\]: 'http:\/\/x': unknown scheme 'http'/,
    ],
    [
      { collectors: ['ipfix://a', 'ipfix://a:99999'] },
      /^flowexport\.set: collectors\[1\]: 'ipfix:\/\/a:99999'/,
    ],
    [
      { collectors: ['ipfix://a', 'ipfix://a:4739'] },
      /^flowexport\.set: collectors\[1\]: 'ipfix:\/\/a:4739' is already in the list/,
    ],
    [{ collectors: ['ipfix://h/path'] }, /collectors\[0\]: .*only a host and a port/],
    [
      { active_timeout_s: 0 },
      /^flowexport\.set: active_timeout_s: active timeout must be from 1 to 86400, got 0/,
    ],
    [
      { idle_timeout_s: 1e9 },
      /^flowexport\.set: idle_timeout_s: idle timeout must be from 1 to 86400/,
    ],
    [{ domain_id: 1.5 }, /^flowexport\.set: domain_id: domain id must be a whole number, got 1.5/],
    [{ domain_id: 2 ** 32 }, /^flowexport\.set: domain_id: domain id must be from 0 to 4294967295/],
    [{ collectors: [] }, /^flowexport\.set: collectors: at least one collector is needed/],
    // Wrong types are refused at the contract's edge, with the field's path.
    [{ collectors: 'ipfix://a' }, /^flowexport\.set: invalid params: collectors /],
    [{ enabled: 'yes' }, /^flowexport\.set: invalid params: enabled /],
    [{ active_timeout_s: '60' }, /^flowexport\.set: invalid params: active_timeout_s /],
    [{ extra: 1 }, /^flowexport\.set: invalid params: \(root\)/],
  ])('refuses %j as BAD_REQUEST naming the field', async (change, message) => {
    const m = new Monitor({ sysnet: new FakeSysNet() })
    const r = await dispatch(m.handlers, 'flowexport.set', { ...GOOD, ...change }, ctx)
    expect(r).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    if (!r.ok) expect(r.message).toMatch(message)
    // Nothing changed.
    expect(m.flowExport.get().enabled).toBe(false)
  })

  it('a disabled setting may keep its collectors, or none', () => {
    expect(checkSettings({ ...GOOD, enabled: false, collectors: [] }).ok).toBe(true)
    expect(checkSettings({ ...GOOD, enabled: false }).ok).toBe(true)
  })

  it('keeps the setting in memory without a store (--no-store), defaults filled in', async () => {
    const m = new Monitor({ sysnet: new FakeSysNet() })
    const r = await dispatch(
      m.handlers,
      'flowexport.set',
      { enabled: true, collectors: ['ipfix://127.0.0.1'] },
      ctx,
    )
    expect(r).toMatchObject({ ok: true, value: { active_timeout_s: 60, idle_timeout_s: 15 } })
    expect(await dispatch(m.handlers, 'flowexport.get', {}, ctx)).toEqual(r)
  })

  it('persists as one JSON row of the meta table and reads it back in a new engine', async () => {
    const db = join(dir, 'settings.db')
    const a = new Monitor({
      sysnet: new FakeSysNet(),
      flowExport: { store: new SqliteExportSettingsStore(db) },
    })
    expect(await dispatch(a.handlers, 'flowexport.set', GOOD, ctx)).toMatchObject({ ok: true })
    await a.stop()
    const raw = openHistoryDb(db)
      .prepare("SELECT value FROM meta WHERE key = 'flowexport.config'")
      .pluck()
      .get() as string
    expect(JSON.parse(raw)).toEqual(GOOD)
    const b = new Monitor({
      sysnet: new FakeSysNet(),
      flowExport: { store: new SqliteExportSettingsStore(db) },
    })
    expect(b.flowExport.get()).toEqual(GOOD)
    // serve --export: on, with these collectors, the stored timeouts kept, and saved.
    await b.stop()
    const c = new Monitor({
      sysnet: new FakeSysNet(),
      flowExport: { store: new SqliteExportSettingsStore(db), collectors: ['netflow9://10.0.0.9'] },
    })
    expect(c.flowExport.get()).toEqual({ ...GOOD, collectors: ['netflow9://10.0.0.9'] })
    await c.stop()
    expect(new SqliteExportSettingsStore(db).load()?.collectors).toEqual(['netflow9://10.0.0.9'])
  })

  it('a stored row that does not parse reads as the default', async () => {
    const db = join(dir, 'garbled.db')
    const h = openHistoryDb(db)
    h.prepare("INSERT INTO meta (key, value) VALUES ('flowexport.config', '{not json')").run()
    h.close()
    const m = new Monitor({
      sysnet: new FakeSysNet(),
      flowExport: { store: new SqliteExportSettingsStore(db) },
    })
    expect(m.flowExport.get().enabled).toBe(false)
    await m.stop()
  })

  it('passes the options in the worker start message; a change restarts a running capture', async () => {
    const fake = fakeLauncher({ started: { kind: 'live', link_type: 1, link_type_name: 'EN10MB' } })
    const m = new Monitor({ sysnet: new FakeSysNet(), launcher: fake.launcher })
    await m.capture.start('eth0', 'udp')
    expect(fake.workers[0]!.posted[0]).not.toHaveProperty('export')
    const states: boolean[] = []
    m.events.on('capture.state', (s) => states.push(s.active))
    const r = await dispatch(m.handlers, 'flowexport.set', GOOD, ctx)
    expect(r.ok).toBe(true)
    await tick()
    expect(fake.alive()).toHaveLength(1)
    expect(fake.workers).toHaveLength(2)
    expect(fake.workers[1]!.posted[0]).toMatchObject({
      type: 'start',
      source: { kind: 'live', iface: 'eth0', filter: 'udp' },
      export: {
        collectors: [
          { protocol: 'ipfix', transport: 'udp', host: '127.0.0.1', port: 4739 },
          { protocol: 'netflow9', transport: 'udp', host: '::1', port: 2055 },
          { protocol: 'ipfix', transport: 'tcp', host: 'collector.example', port: 4739 },
        ],
        activeTimeoutS: 30,
        idleTimeoutS: 5,
        domainId: 7,
      },
    })
    expect(states).toEqual([false, true])
    expect(m.capture.state()).toMatchObject({ active: true, iface: 'eth0', filter: 'udp' })
    // The same setting again: nothing to restart.
    await dispatch(m.handlers, 'flowexport.set', GOOD, ctx)
    expect(fake.workers).toHaveLength(2)
    // Off: the next worker starts without export.
    await dispatch(m.handlers, 'flowexport.set', { ...GOOD, enabled: false }, ctx)
    expect(fake.workers).toHaveLength(3)
    expect(fake.workers[2]!.posted[0]).not.toHaveProperty('export')
    await m.stop()
    // No capture running: the setting is stored and nothing starts.
    await dispatch(m.handlers, 'flowexport.set', GOOD, ctx)
    expect(fake.workers).toHaveLength(3)
  })
})
