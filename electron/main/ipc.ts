/**
 * The only module of the main process that touches ipcMain. IPC carries the handshake only: a
 * preload asks for a port; if the asking frame is the main frame of one of our windows showing our
 * renderer, main creates a MessageChannelMain, gives one end to the engine host and the other to
 * that frame. The contract then runs over the port (validated by the engine's dispatch()).
 */
import {
  ipcMain,
  MessageChannelMain,
  type MessagePortMain,
  type WebContents,
  type WebFrameMain,
} from 'electron'
import { IpcChannel } from '../../common/channels'

export interface PortBroker {
  /** Hands the engine host one end of a new channel; false if it is not running. */
  connect(name: string, port: MessagePortMain): boolean
}

export interface IpcWiring {
  /** Registers a window's contents as one that may ask for a port. */
  register(wc: WebContents): void
  /** Gives every registered window a fresh port (after the engine host restarted). */
  reconnectAll(): void
}

/** A frame is the main frame of `wc` if it has no parent and is the same frame (ids, not identity). */
function isMainFrame(frame: WebFrameMain, wc: WebContents): boolean {
  const main = wc.mainFrame
  return (
    frame.parent === null &&
    frame.processId === main.processId &&
    frame.routingId === main.routingId
  )
}

export function setupIpc(engine: PortBroker, isTrustedUrl: (url: string) => boolean): IpcWiring {
  const windows = new Set<WebContents>()

  const handOver = (wc: WebContents): boolean => {
    const frame = wc.mainFrame
    if (wc.isDestroyed() || !isTrustedUrl(frame.url)) return false
    const { port1, port2 } = new MessageChannelMain()
    if (!engine.connect(`renderer-${wc.id}`, port1)) {
      port2.close()
      return false
    }
    frame.postMessage(IpcChannel.port, null, [port2])
    return true
  }

  ipcMain.on(IpcChannel.connect, (event) => {
    const frame = event.senderFrame
    // Our window, its main frame (not an iframe), and our own renderer URL.
    if (!windows.has(event.sender) || !frame || !isMainFrame(frame, event.sender)) return
    if (!isTrustedUrl(frame.url)) return
    handOver(event.sender)
  })

  return {
    register(wc) {
      windows.add(wc)
      wc.once('destroyed', () => windows.delete(wc))
    },
    reconnectAll() {
      for (const wc of windows) handOver(wc)
    },
  }
}
