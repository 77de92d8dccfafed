/**
 * Channel names of the Electron IPC transport, shared by main and preload. Kept apart from
 * contract.ts so the sandboxed preload bundles no schema library.
 */
export const IpcChannel = { invoke: 'flowscope:invoke', event: 'flowscope:event' } as const
