import { describe, expect, it } from 'vitest'
import { defaultDbPath, resolveDbPath } from '../../../electron/shared/store/paths'

describe('history database path', () => {
  const home = '/home/op'
  it('follows XDG on Linux, ignoring a relative XDG_DATA_HOME', () => {
    expect(defaultDbPath({ env: {}, platform: 'linux', home })).toBe(
      '/home/op/.local/share/flowscope/history.db',
    )
    expect(defaultDbPath({ env: { XDG_DATA_HOME: '/data' }, platform: 'linux', home })).toBe(
      '/data/flowscope/history.db',
    )
    expect(defaultDbPath({ env: { XDG_DATA_HOME: 'rel' }, platform: 'linux', home })).toBe(
      '/home/op/.local/share/flowscope/history.db',
    )
  })
  it('uses Application Support on macOS', () => {
    expect(defaultDbPath({ env: {}, platform: 'darwin', home })).toBe(
      '/home/op/Library/Application Support/Flowscope/history.db',
    )
  })
  it('prefers --db, then FLOWSCOPE_DB', () => {
    const io = { env: { FLOWSCOPE_DB: '/env.db' }, platform: 'linux' as const, home }
    expect(resolveDbPath('/opt.db', io)).toBe('/opt.db')
    expect(resolveDbPath(undefined, io)).toBe('/env.db')
    expect(resolveDbPath(undefined, { ...io, env: {} })).toBe(
      '/home/op/.local/share/flowscope/history.db',
    )
  })
})
