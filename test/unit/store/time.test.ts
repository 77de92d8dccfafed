import { describe, expect, it } from 'vitest'
import {
  isoMicros,
  isoMicrosFast,
  parseTime,
  TimeParseError,
} from '../../../electron/shared/store/time'
import { int, rng } from './helpers'

const NOW = Date.parse('2026-11-26T08:00:00.000Z')

describe('parseTime', () => {
  it('reads now and relative forms back from now', () => {
    expect(parseTime('now', NOW)).toBe(NOW)
    expect(parseTime('-30s', NOW)).toBe(NOW - 30_000)
    expect(parseTime('-30m', NOW)).toBe(NOW - 30 * 60_000)
    expect(parseTime('-1h', NOW)).toBe(NOW - 3_600_000)
    expect(parseTime('-7d', NOW)).toBe(NOW - 7 * 86_400_000)
    expect(parseTime('-2w', NOW)).toBe(NOW - 14 * 86_400_000)
    expect(parseTime('-1.5h', NOW)).toBe(NOW - 5_400_000)
  })

  it('reads ISO 8601, treating a missing zone as UTC', () => {
    expect(parseTime('2026-11-26', NOW)).toBe(Date.parse('2026-11-26T00:00:00Z'))
    expect(parseTime('2026-11-26T07:15', NOW)).toBe(Date.parse('2026-11-26T07:15:00Z'))
    expect(parseTime('2026-11-26T07:15:30Z', NOW)).toBe(Date.parse('2026-11-26T07:15:30Z'))
    expect(parseTime('2026-11-26T07:15:30.25Z', NOW)).toBe(Date.parse('2026-11-26T07:15:30.250Z'))
    expect(parseTime('2026-11-26T08:15:30+01:00', NOW)).toBe(Date.parse('2026-11-26T07:15:30Z'))
    expect(parseTime('2026-11-26T08:15:30+0100', NOW)).toBe(Date.parse('2026-11-26T07:15:30Z'))
  })

  it.each(['yesterday', '1h', '+1h', '-1y', '2026-13-01', '2026-02-30', '2026-11-26T25:00', ''])(
    'rejects %j with a TimeParseError',
    (text) => {
      expect(() => parseTime(text, NOW)).toThrow(TimeParseError)
    },
  )
})

describe('isoMicros', () => {
  it('prints UTC with six fractional digits', () => {
    expect(isoMicros(1_700_000_000_123_456)).toBe('2023-11-14T22:13:20.123456Z')
    expect(isoMicros(1_700_000_000_000_000)).toBe('2023-11-14T22:13:20.000000Z')
    expect(isoMicros(1_700_000_000_000_001)).toBe('2023-11-14T22:13:20.000001Z')
  })
})

describe('isoMicrosFast', () => {
  it('formats exactly as isoMicros, across many seconds (past its cache bound)', () => {
    const r = rng(7)
    for (let i = 0; i < 20_000; i++) {
      const us = int(r, 0, 4_000_000_000) * 1e6 + int(r, 0, 999_999)
      expect(isoMicrosFast(us)).toBe(isoMicros(us))
    }
    for (const us of [0, 999_999, 1_000_000, 1_790_000_000_000_000, 1_790_000_059_999_999])
      expect(isoMicrosFast(us)).toBe(isoMicros(us))
  })
})
