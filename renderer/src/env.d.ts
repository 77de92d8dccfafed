/// <reference types="vite/client" />
import type { FlowscopeApi } from '../../common/contract'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser (serve mode), where the WebSocket client is used. */
    flowscope?: FlowscopeApi
    /** Desktop only: the path of a File the user picked or dropped (Electron webUtils). */
    flowscopeFiles?: { pathOf(file: File): string }
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
