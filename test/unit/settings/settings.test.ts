import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_SETTINGS,
  Settings,
  SettingsFile,
  SettingsState,
  rateUnit,
} from '../../../common/settings'
import { formatAmount, formatRate, parseRate } from '../../../common/units'
import { dispatch } from '../../../electron/engine/api'
import { Monitor } from '../../../electron/engine/monitor'
import { mergeStored, SqliteSettingsStore } from '../../../electron/engine/settings/store'
import { openHistoryDb } from '../../../electron/shared/store'
import { FakeSysNet } from '../fakes'

const ctx = { transport: 'websocket' as const }
const dir = mkdtempSync(join(tmpdir(), 'fs-settings-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function monitorOn(path: string | null, tickMs?: number): Monitor {
  const sysnet = new FakeSysNet()
  sysnet.set('eth0', 0)
  return new Monitor({
    sysnet,
    settings: path === null ? null : new SqliteSettingsStore(path),
    ...(tickMs !== undefined && { tickMs }),
  })
}

describe('settings schema', () => {
  it('accepts the defaults and refuses unknown keys and bad values by field', () => {
    expect(Settings.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS)
    const bad = Settings.safeParse({ ...DEFAULT_SETTINGS, tick_ms: 50 })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]).toMatchObject({ path: ['tick_ms'], message: 'at least 100 ms' })
    const iface = Settings.safeParse({ ...DEFAULT_SETTINGS, interfaces_shown: ['eth 0'] })
    expect(iface.error?.issues[0]?.path).toEqual(['interfaces_shown', 0])
    expect(Settings.safeParse({ ...DEFAULT_SETTINGS, extra: 1 }).success).toBe(false)
    expect(Settings.safeParse({ ...DEFAULT_SETTINGS, theme: 'blue' }).success).toBe(false)
  })

  it('a settings file needs its marker', () => {
    const r = SettingsFile.safeParse({ settings: DEFAULT_SETTINGS })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toMatch(/not a Flowscope settings file/)
    expect(
      SettingsFile.safeParse({ flowscope_settings: 1, settings: DEFAULT_SETTINGS }).success,
    ).toBe(true)
  })

  it('a stored row with one bad key keeps every other key', () => {
    const merged = mergeStored({ ...DEFAULT_SETTINGS, theme: 'light', tick_ms: 'fast' })
    expect(merged.theme).toBe('light')
    expect(merged.tick_ms).toBe(DEFAULT_SETTINGS.tick_ms)
    expect(mergeStored('nonsense')).toEqual(DEFAULT_SETTINGS)
  })
})

describe('units', () => {
  it('formats SI and IEC, and parses both back', () => {
    expect(formatRate(2_000_000, 'bits')).toBe('16.0 Mbit/s')
    expect(formatRate(2 * 1024 * 1024, 'bytes-iec')).toBe('2.00 MiB/s')
    expect(formatRate(1024, 'bits-iec')).toBe('8.00 Kibit/s')
    expect(formatAmount(3 * 1024, 'bytes-iec')).toBe('3.00 KiB')
    expect(formatAmount(3000, 'bytes')).toBe('3.00 kB')
    expect(parseRate('2.00 MiB/s')).toBe(2 * 1024 * 1024)
    expect(parseRate('8.00 Kibit/s')).toBe(1024)
    expect(parseRate('16.0 Mbit/s')).toBe(2_000_000)
    expect(rateUnit({ rate: 'bytes', prefix: 'iec' })).toBe('bytes-iec')
    expect(rateUnit({ rate: 'bits', prefix: 'si' })).toBe('bits')
  })
})

describe('settings through the contract', () => {
  it('survive a restart on the same database, in the meta table', async () => {
    const db = join(dir, 'a.db')
    const m1 = monitorOn(db)
    const seen: unknown[] = []
    m1.events.on('settings.changed', (s) => seen.push(s))
    const r = await dispatch(m1.handlers, 'settings.set', { theme: 'light', tick_ms: 500 }, ctx)
    expect(r.ok).toBe(true)
    expect(seen).toHaveLength(1)
    expect(SettingsState.parse(seen[0]).settings.theme).toBe('light')
    // The tick applies at the next start: this run keeps its own.
    if (r.ok) expect(SettingsState.parse(r.value).running_tick_ms).toBe(1000)
    await m1.stop()

    // The row is where the rules store keeps its own: the history database's meta table.
    const raw = openHistoryDb(db)
    const row = raw.prepare("SELECT value FROM meta WHERE key = 'settings'").pluck().get()
    raw.close()
    expect(JSON.parse(row as string)).toMatchObject({ theme: 'light', tick_ms: 500 })

    const m2 = monitorOn(db)
    expect(m2.tickMs).toBe(500)
    const g = await dispatch(m2.handlers, 'settings.get', {}, ctx)
    expect(g).toMatchObject({
      ok: true,
      value: {
        persisted: true,
        running_tick_ms: 500,
        settings: { theme: 'light', tick_ms: 500 },
      },
    })
    await m2.stop()
  })

  it('refuses bad values with the field in the message and changes nothing', async () => {
    const m = monitorOn(join(dir, 'b.db'))
    const tick = await dispatch(m.handlers, 'settings.set', { tick_ms: 5 }, ctx)
    expect(tick).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    if (!tick.ok) expect(tick.message).toBe('settings.set: invalid params: tick_ms at least 100 ms')
    // The kept probe targets are checked with the probe parser; the bad item is named.
    const probe = await dispatch(
      m.handlers,
      'probes.targets.set',
      { targets: ['icmp://127.0.0.1', 'gopher://x'], interval_ms: 1000 },
      ctx,
    )
    expect(probe).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    if (!probe.ok)
      expect(probe.message).toMatch(/^probes\.targets\.set: invalid params: targets\.1 .*gopher/)
    expect(await dispatch(m.handlers, 'probes.targets.get', {}, ctx)).toMatchObject({
      ok: true,
      value: { targets: [] },
    })
    const unit = await dispatch(m.handlers, 'settings.set', { units: { rate: 'nibbles' } }, ctx)
    expect(unit.ok).toBe(false)
    if (!unit.ok) expect(unit.message).toMatch(/invalid params: units\.rate /)
    const g = await dispatch(m.handlers, 'settings.get', {}, ctx)
    if (g.ok) expect(SettingsState.parse(g.value).settings).toEqual(DEFAULT_SETTINGS)
    await m.stop()
  })

  it('without a store (--no-store) keeps them in memory and says so', async () => {
    const m = monitorOn(null, 250)
    const r = await dispatch(m.handlers, 'settings.set', { resolve_names: false }, ctx)
    expect(r).toMatchObject({
      ok: true,
      value: { persisted: false, running_tick_ms: 250, settings: { resolve_names: false } },
    })
    // The capture's names switch follows the setting, and the setting follows the switch.
    await new Promise((r) => setTimeout(r, 10))
    expect(m.capture.state().resolve).toBe(false)
    await dispatch(m.handlers, 'capture.setResolve', { resolve: true }, ctx)
    const g = await dispatch(m.handlers, 'settings.get', {}, ctx)
    if (g.ok) expect(SettingsState.parse(g.value).settings.resolve_names).toBe(true)
    await m.stop()
  })

  it('a database that cannot be opened leaves them in memory', async () => {
    const m = monitorOn(join(dir, 'no', 'such', '\0bad'))
    const r = await dispatch(m.handlers, 'settings.set', { theme: 'dark' }, ctx)
    expect(r).toMatchObject({ ok: true, value: { persisted: false, settings: { theme: 'dark' } } })
    await m.stop()
  })
})
