/** The desktop app's own preferences (userData/desktop.json); the engine's settings live elsewhere. */
import { join } from 'node:path'
import { z } from 'zod'
import { JsonFile } from './json-file'

export const Bounds = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(20_000),
  height: z.number().int().min(150).max(20_000),
})
export type Bounds = z.infer<typeof Bounds>

export const DesktopPrefs = z.object({
  /** Closing the window keeps monitoring in the tray; null: not asked yet. */
  closeToTray: z.boolean().nullable(),
  openAtLogin: z.boolean(),
  /** The interface whose rates the tray shows; null: the busiest one. */
  trayInterface: z.string().max(64).nullable(),
  window: Bounds.nullable(),
  maximized: z.boolean(),
})
export type DesktopPrefs = z.infer<typeof DesktopPrefs>

export const defaultPrefs: DesktopPrefs = {
  closeToTray: null,
  openAtLogin: false,
  trayInterface: null,
  window: null,
  maximized: false,
}

export type PrefsFile = JsonFile<DesktopPrefs>

export function openPrefs(userData: string): PrefsFile {
  return new JsonFile(join(userData, 'desktop.json'), DesktopPrefs.partial(), defaultPrefs)
}
