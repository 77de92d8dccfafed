/**
 * Exposes the contract as window.flowscope and nothing else: no ipcRenderer, no Node.
 * The main process validates every request and checks the sender.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IpcChannel } from '../../common/channels'
import type { FlowscopeApi } from '../../common/contract'

const api: FlowscopeApi = {
  invoke: (method, params) => ipcRenderer.invoke(IpcChannel.invoke, method, params),
  on: (event, listener) => {
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as Parameters<typeof listener>[0])
    }
    ipcRenderer.on(IpcChannel.event, handler)
    return () => {
      ipcRenderer.removeListener(IpcChannel.event, handler)
    }
  },
}

contextBridge.exposeInMainWorld('flowscope', api)
