/**
 * Channel names of the Electron IPC handshake, shared by main and preload. IPC carries only the
 * handshake: the preload asks (`connect`), main checks the frame and answers on `port` with one end
 * of a MessagePort whose other end is the engine host; the contract then runs over that port.
 * Kept apart from contract.ts so the sandboxed preload bundles no schema library.
 */
export const IpcChannel = { connect: 'flowscope:connect', port: 'flowscope:port' } as const
