/**
 * The only module of the main process that touches ipcMain: requests go through the engine's
 * dispatch (schema-checked there) after a sender check; events go to trusted windows only.
 */
import { ipcMain, type WebContents } from 'electron'
import { IpcChannel } from '../../common/channels'
import { fail } from '../../common/contract'
import { dispatch } from '../engine/api'
import type { Monitor } from '../engine/monitor'

export function setupIpc(
  monitor: Monitor,
  isTrustedUrl: (url: string) => boolean,
): (wc: WebContents) => void {
  const windows = new Set<WebContents>()

  ipcMain.handle(IpcChannel.invoke, async (event, method: unknown, params: unknown) => {
    const url = event.senderFrame?.url ?? ''
    if (!windows.has(event.sender) || !isTrustedUrl(url))
      return fail('PERMISSION_DENIED', `untrusted sender ${url}`)
    return dispatch(monitor.handlers, method, params, { transport: 'ipc' })
  })

  monitor.events.onAny((event, payload) => {
    for (const wc of windows) {
      if (!wc.isDestroyed() && isTrustedUrl(wc.getURL())) wc.send(IpcChannel.event, event, payload)
    }
  })

  /** Registers a window's contents as a receiver of events and a trusted caller. */
  return (wc) => {
    windows.add(wc)
    wc.once('destroyed', () => windows.delete(wc))
  }
}
