/** Electron main entry (out/main/index.js). */
import { runDesktop } from './desktop'

void runDesktop({ bundleDir: __dirname }).then((desktop) => {
  // The _electron smoke test reads the tray's menu and the engine's pid from here.
  if (desktop) Object.assign(globalThis, { flowscopeDesktop: desktop })
})
