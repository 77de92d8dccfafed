/**
 * Notifier (the alerts' interface, electron/engine/alerts/notifier.ts) for the desktop engine host:
 * the OS notification is shown by main, which owns the desktop integration.
 */
import type { ParentPort } from './ports'

export interface Notifier {
  notify(title: string, body: string): void
}

export function parentNotifier(parent: Pick<ParentPort, 'postMessage'>): Notifier {
  return {
    notify: (title, body) =>
      parent.postMessage({ type: 'notify', title: title.slice(0, 256), body: body.slice(0, 4096) }),
  }
}
