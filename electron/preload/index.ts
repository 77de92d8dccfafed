/**
 * Exposes the contract as window.flowscope and nothing else: no ipcRenderer, no port, no Node
 * (plus window.flowscopeFiles: the path of a file the user picked or dropped, to open it).
 * Main hands this preload a MessagePort to the engine host (only for our own frame); requests and
 * events use serve mode's wire shapes over it. The renderer client validates everything received.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { IpcChannel } from '../../common/channels'
import { createPortBridge } from './port-bridge'

const bridge = createPortBridge()
ipcRenderer.on(IpcChannel.port, (event) => {
  const port = event.ports[0]
  if (port) bridge.attach(port)
})
ipcRenderer.send(IpcChannel.connect)

contextBridge.exposeInMainWorld('flowscope', bridge.api)

// Only a File the user gave the page (picker or drop) has a path: the desktop app opens capture
// files by path ('capture.openFile') instead of uploading them.
contextBridge.exposeInMainWorld('flowscopeFiles', {
  pathOf: (file: File): string => webUtils.getPathForFile(file),
})
