import { describe, expect, it } from 'vitest'
import { guarded, installProcessGuard } from '../../../electron/server/guard'

describe('request guard', () => {
  it('logs a sync or async failure with its stack, then recovers that one request', async () => {
    const logged: string[] = []
    const recovered: string[] = []
    const h = guarded(
      (l) => logged.push(l),
      ([name]: [string]) => `request ${name}`,
      ([name]) => recovered.push(name),
      (name: string) => {
        if (name === 'sync') throw new TypeError('Invalid URL')
        if (name === 'async') return Promise.reject(new RangeError('later'))
      },
    )
    h('fine')
    h('sync')
    h('async')
    await new Promise((r) => setTimeout(r, 0))
    expect(recovered).toEqual(['sync', 'async'])
    expect(logged).toHaveLength(2)
    expect(logged[0]).toMatch(/bug while handling request sync: TypeError: Invalid URL\n\s+at /)
    expect(logged[1]).toMatch(/bug while handling request async: RangeError: later/)
  })

  it('survives a recovery that throws too, and logs both', () => {
    const logged: string[] = []
    const h = guarded(
      (l) => logged.push(l),
      () => 'x',
      () => {
        throw new Error('recovery failed')
      },
      () => {
        throw new Error('handler failed')
      },
    )
    expect(() => h()).not.toThrow()
    expect(logged.join('\n')).toMatch(/handler failed[\s\S]*recovery failed/)
  })
})

describe('process guard', () => {
  it('logs uncaught errors and exits only when they keep coming', () => {
    const logged: string[] = []
    const exits: number[] = []
    // As node emits them; typed loosely because process.emit's overloads omit this event.
    const emit = (err: Error) =>
      (process.emit as (event: string, ...args: unknown[]) => boolean)(
        'uncaughtException',
        err,
        'uncaughtException',
      )
    const off = installProcessGuard(
      (l) => logged.push(l),
      3,
      (c) => exits.push(c),
    )
    try {
      for (let i = 0; i < 3; i++) emit(new Error(`boom ${i}`))
      expect(exits).toEqual([])
      expect(logged.filter((l) => /bug while handling the process/.test(l))).toHaveLength(3)
      emit(new Error('boom 3'))
      expect(exits).toEqual([70])
    } finally {
      off()
    }
  })
})
