import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './io'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Strict option parsing shared by every command: unknown options, missing values and stray
 * positionals become a UsageError (one line, exit 2) instead of a stack trace.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new UsageError(`${command}: ${message}`)
  }
}

/** Parses an integer option within bounds, or throws a UsageError naming the option. */
export function intOption(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`)
  }
  return n
}
