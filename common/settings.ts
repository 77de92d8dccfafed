/**
 * Operator settings kept by the engine (one JSON row of the history database's `meta` table) and
 * shared by every face: the desktop window and serve mode's browsers read and change the same
 * ones through `settings.get` / `settings.set`, and follow `settings.changed`. Pure TS + zod.
 */
import { z } from 'zod'
import { AlertConfig } from './alerts'
import { HistoryRetention } from './history'
import type { RateUnit } from './units'

/** A kernel interface name (Linux allows 15 bytes; other systems a little more). */
const IfaceName = z
  .string()
  .min(1, 'an interface name')
  .max(64, 'at most 64 characters')
  .regex(/^[^\s/]+$/, 'an interface name has no spaces or slashes')

export const Theme = z.enum(['system', 'dark', 'light'])
export type Theme = z.infer<typeof Theme>

export const Units = z
  .object({
    /** Rates in bit/s or B/s. */
    rate: z.enum(['bits', 'bytes']),
    /** SI prefixes (k = 1000, as nload and iftop) or IEC (Ki = 1024). */
    prefix: z.enum(['si', 'iec']),
  })
  .strict()
export type Units = z.infer<typeof Units>

/** The tick range the capture pipeline's 2 s / 10 s / 40 s windows still make sense with. */
export const TICK_MIN_MS = 100
export const TICK_MAX_MS = 2000

export const Settings = z
  .object({
    /** Interfaces the Interfaces page shows; null shows them all. */
    interfaces_shown: z.array(IfaceName).max(256, 'at most 256 interfaces').nullable(),
    /** What the Connections page offers when a capture starts. */
    capture: z
      .object({
        iface: IfaceName.nullable(),
        filter: z.string().max(2048, 'at most 2048 characters'),
      })
      .strict(),
    units: Units,
    /** Sampling period of the engine; applies when the engine next starts. */
    tick_ms: z
      .number({ error: 'a number of milliseconds' })
      .int('a whole number of milliseconds')
      .min(TICK_MIN_MS, `at least ${TICK_MIN_MS} ms`)
      .max(TICK_MAX_MS, `at most ${TICK_MAX_MS} ms`),
    /** Reverse DNS names of conversations (iftop's `n`; the capture's own switch follows it). */
    resolve_names: z.boolean(),
    theme: Theme,
    /** The desktop app's loopback Prometheus endpoint (serve mode: its --metrics flag instead). */
    metrics: z
      .object({
        enabled: z.boolean(),
        port: z
          .number({ error: 'a port number' })
          .int('a whole port number')
          .min(1024, 'a port from 1024 to 65535')
          .max(65535, 'a port from 1024 to 65535'),
      })
      .strict(),
  })
  .strict()
export type Settings = z.infer<typeof Settings>

export const DEFAULT_SETTINGS: Settings = {
  interfaces_shown: null,
  capture: { iface: null, filter: '' },
  units: { rate: 'bits', prefix: 'si' },
  tick_ms: 1000,
  resolve_names: true,
  theme: 'system',
  metrics: { enabled: false, port: 9464 },
}

/** A change: any top-level settings, each replaced whole. */
export const SettingsChange = Settings.partial().strict()
export type SettingsChange = z.infer<typeof SettingsChange>

/** What `settings.get` answers: the settings and the facts of this run they cannot change. */
export const SettingsState = z.object({
  settings: Settings,
  /** Kept in the history database (false: --no-store, or the database could not be opened). */
  persisted: z.boolean(),
  /** The tick this engine runs with (a changed tick_ms applies at the next start). */
  running_tick_ms: z.number().int().positive(),
  /** This run's Prometheus endpoint, or null when off. */
  metrics: z
    .object({
      /** 'serve': the --metrics flag of serve mode; 'desktop': the loopback listener. */
      source: z.enum(['serve', 'desktop']),
      /** Path on serve's address, or the full loopback URL of the desktop's listener. */
      url: z.string(),
      token_required: z.boolean(),
    })
    .nullable(),
})
export type SettingsState = z.infer<typeof SettingsState>

/** The unit the formatters take, from the settings. */
export function rateUnit(units: Units): RateUnit {
  return units.prefix === 'iec' ? `${units.rate}-iec` : units.rate
}

/**
 * A settings file (export / import): the settings with a marker, so an unrelated JSON file is
 * refused with a clear reason rather than half applied.
 */
export const SettingsFile = z
  .object({
    flowscope_settings: z.literal(1, {
      error: 'not a Flowscope settings file (no "flowscope_settings": 1)',
    }),
    settings: Settings,
    /** The parts other methods keep, when the engine had them (history off: no retention). */
    retention: HistoryRetention.optional(),
    alerts: AlertConfig.optional(),
    /**
     * Flow export ({ enabled, collectors, ... }) and the Probes page's kept targets
     * ({ targets, interval_ms }): checked against the contract's own schemas when imported.
     */
    flowexport: z.record(z.string(), z.unknown()).optional(),
    probe_targets: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
export type SettingsFile = z.infer<typeof SettingsFile>
