/**
 * Remembers the window's size and position (and maximized state) in the preferences file. Saved
 * bounds are used only if they still overlap a connected display, so a window never reopens on a
 * monitor that was unplugged.
 */
import type { BrowserWindow, Rectangle } from 'electron'
import type { Bounds, PrefsFile } from './prefs'

const SAVE_DELAY_MS = 500

/** Saved bounds if at least 100x50 px of them are on one of `displays`, else null. */
export function restorableBounds(saved: Bounds | null, displays: Rectangle[]): Bounds | null {
  if (!saved) return null
  const visible = displays.some((d) => {
    const w = Math.min(saved.x + saved.width, d.x + d.width) - Math.max(saved.x, d.x)
    const h = Math.min(saved.y + saved.height, d.y + d.height) - Math.max(saved.y, d.y)
    return w >= 100 && h >= 50
  })
  return visible ? saved : null
}

/** Saves the window's normal bounds on move/resize (debounced) and when it closes. */
export function trackWindowState(win: BrowserWindow, prefs: PrefsFile): void {
  let timer: NodeJS.Timeout | null = null
  const save = () => {
    if (timer) clearTimeout(timer)
    timer = null
    if (win.isDestroyed()) return
    const b = win.getNormalBounds()
    prefs.set({
      window: {
        x: Math.round(b.x),
        y: Math.round(b.y),
        width: Math.round(b.width),
        height: Math.round(b.height),
      },
      maximized: win.isMaximized(),
    })
  }
  const later = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(save, SAVE_DELAY_MS)
  }
  win.on('resize', later)
  win.on('move', later)
  win.on('maximize', save)
  win.on('unmaximize', save)
  win.on('close', save)
}
