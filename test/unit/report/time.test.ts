import { describe, expect, it } from 'vitest'
import { isoMicros, shortTime } from '../../../electron/shared/report/time'

describe('isoMicros', () => {
  it('prints UTC with six fractional digits', () => {
    expect(isoMicros(Date.UTC(2026, 10, 26, 7, 15, 8) * 1000 + 123456)).toBe(
      '2026-11-26T07:15:08.123456Z',
    )
  })
  it('keeps leading zeros of the microseconds', () => {
    expect(isoMicros(1_000_000 * 1_700_000_000 + 7)).toBe('2023-11-14T22:13:20.000007Z')
    expect(isoMicros(0)).toBe('1970-01-01T00:00:00.000000Z')
  })
  it('is exact for every microsecond digit (no float drift)', () => {
    const base = Date.UTC(2030, 0, 1) * 1000
    for (const us of [1, 10, 999, 1000, 1001, 999_999]) {
      expect(isoMicros(base + us).slice(20, 26)).toBe(String(us).padStart(6, '0'))
    }
  })
  it('shortTime is a readable second-resolution UTC clock', () => {
    expect(shortTime(Date.UTC(2026, 10, 26, 7, 15, 8) * 1000 + 999_999)).toBe('2026-11-26 07:15:08')
  })
})
