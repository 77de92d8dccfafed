/**
 * What closing the window does: keep monitoring in the tray, or quit. Asked once (the answer is
 * kept in the preferences and can be changed from the tray menu); quitting from the menu always quits.
 */
import { dialog, type BrowserWindow } from 'electron'
import type { PrefsFile } from './prefs'

export interface CloseToTrayOptions {
  prefs: PrefsFile
  /** True once the operator chose Quit (tray menu, app menu, second thoughts in the dialog). */
  quitting(): boolean
  quit(): void
}

export function handleClose(win: BrowserWindow, o: CloseToTrayOptions): void {
  win.on('close', (event) => {
    if (o.quitting()) return
    const choice = o.prefs.get().closeToTray
    if (choice === false) {
      event.preventDefault()
      o.quit()
      return
    }
    event.preventDefault()
    if (choice === true) {
      win.hide()
      return
    }
    const answer = dialog.showMessageBoxSync(win, {
      type: 'question',
      title: 'Flowscope',
      message: 'Keep monitoring in the tray when the window is closed?',
      detail: 'You can change this later from the tray menu.',
      buttons: ['Keep running in tray', 'Quit Flowscope'],
      defaultId: 0,
      cancelId: 0,
    })
    const keep = answer === 0
    o.prefs.set({ closeToTray: keep })
    if (keep) win.hide()
    else o.quit()
  })
}
