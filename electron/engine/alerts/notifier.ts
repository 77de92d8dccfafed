/**
 * OS notifications for alerts. The desktop app implements this with Electron's Notification
 * (electron/main); serve mode and the CLI have none. Must not throw and must return at once.
 */
export interface Notifier {
  notify(title: string, body: string): void
}
