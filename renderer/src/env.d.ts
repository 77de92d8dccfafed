/// <reference types="vite/client" />
import type { FlowscopeApi } from '../../common/contract'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser (serve mode), where the WebSocket client is used. */
    flowscope?: FlowscopeApi
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
