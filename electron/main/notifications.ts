/**
 * OS notifications for alerts (sent by the engine host's alerts through its Notifier) and capture
 * failures, behind the alerts' Notifier interface so tests use a fake.
 */
import { Notification } from 'electron'
import type { CaptureState } from '../../common/contract'

export interface Notifier {
  notify(title: string, body: string): void
}

export function electronNotifier(icon?: string): Notifier {
  return {
    notify(title, body) {
      // No notification daemon (a bare X session): nothing to show it on; the UI still has it.
      if (!Notification.isSupported()) return
      new Notification({ title, body, icon, silent: false }).show()
    },
  }
}

/**
 * Notifies once per distinct capture failure: the same error repeated by each state event is one
 * notice, and a capture that runs again re-arms it.
 */
export function captureFailureNotices(notifier: Notifier): (state: CaptureState) => void {
  let last: string | null = null
  return (state) => {
    const error = state.error
    if (!error) {
      if (state.active) last = null
      return
    }
    const key = `${error.code}\n${error.message}`
    if (key === last) return
    last = key
    notifier.notify(
      state.iface ? `Capture on ${state.iface} failed` : 'Capture failed',
      error.message,
    )
  }
}
