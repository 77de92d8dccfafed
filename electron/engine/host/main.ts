/**
 * Entry of the desktop engine host (built to out/main/engine.js), started by Electron main as a
 * utility process. Never imports electron: the parent port is a global of utility processes.
 */
import { resolveDbPath } from '../../shared/store'
import { SqliteRulesStore } from '../alerts/rules-store'
import { SqliteExportSettingsStore } from '../flowexport/service'
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
  // Workers start as utility processes through main (no fork, so the RunAsNode fuse stays off);
  // the notifier shows OS notifications through main.
  (services) =>
    new Monitor({
      launcher: services.launcher.launch,
      // Like serve mode: history is recorded by default ($FLOWSCOPE_DB or the data directory).
      history: (events) => new History(events, undefined, process.env, true),
      // Alert rules live in the same database; firing alerts become OS notifications.
      alerts: {
        store: new SqliteRulesStore(resolveDbPath(undefined, { env: process.env })),
        notifier: services.notifier,
      },
      // So is the flow export setting (docs/flow-export.md).
      flowExport: {
        store: new SqliteExportSettingsStore(resolveDbPath(undefined, { env: process.env })),
      },
    }),
)
void host.stopped.then(() => process.exit(0))
