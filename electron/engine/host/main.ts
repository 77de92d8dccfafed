/**
 * Entry of the desktop engine host (built to out/main/engine.js), started by Electron main as a
 * utility process. Never imports electron: the parent port is a global of utility processes.
 */
import { History } from '../history'
import { Monitor } from '../monitor'
import { runEngineHost } from './engine-host'
import { electronParentPort } from './ports'

const parent = electronParentPort()
if (!parent) {
  console.error('flowscope engine host: run by the desktop app as an Electron utility process')
  process.exit(2)
}

const host = runEngineHost(
  parent,
  // services.launcher.launch starts workers as utility processes through main (no fork, no
  // RunAsNode); services.notifier shows OS notifications through main.
  // TODO(merge): pass `launcher.launch` to the Monitor once the worker protocol's clients take a
  // WorkerLauncher (electron/engine/workers/launcher.ts), and `notifier` to the alerts; until
  // then the clients fork(), which a packaged app (RunAsNode fuse off) cannot.
  (_services) =>
    new Monitor({
      // Like serve mode: history is recorded by default ($FLOWSCOPE_DB or the data directory).
      history: (events) => new History(events, undefined, process.env, true),
    }),
)
void host.stopped.then(() => process.exit(0))
