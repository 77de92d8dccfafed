/**
 * Entry of the desktop engine host (built to out/main/engine.js), started by Electron main as a
 * utility process. Never imports electron: the parent port is a global of utility processes.
 */
import { resolveDbPath } from '../../shared/store'
import { SqliteRulesStore } from '../alerts/rules-store'
import { SqliteExportSettingsStore } from '../flowexport/service'
import { History } from '../history'
import { Monitor } from '../monitor'
import { startDesktopMetrics } from '../settings/desktop-metrics'
import { SqliteSettingsStore } from '../settings/store'
import { runEngineHost } from './engine-host'
import { electronParentPort } from './ports'

const parent = electronParentPort()
if (!parent) {
  console.error('flowscope engine host: run by the desktop app as an Electron utility process')
  process.exit(2)
}

let stopMetrics: Promise<(() => Promise<void>) | null> = Promise.resolve(null)
const host = runEngineHost(
  parent,
  // Workers start as utility processes through main (no fork, so the RunAsNode fuse stays off);
  // the notifier shows OS notifications through main.
  (services) => {
    const monitor = new Monitor({
      launcher: services.launcher.launch,
      // Like serve mode: history is recorded by default ($FLOWSCOPE_DB or the data directory).
      history: (events) => new History(events, undefined, process.env, true),
      // Alert rules live in the same database; firing alerts become OS notifications.
      alerts: {
        store: new SqliteRulesStore(resolveDbPath(undefined, { env: process.env })),
        notifier: services.notifier,
      },
      // The operator's settings too (tick and metrics endpoint apply from this start).
      settings: new SqliteSettingsStore(resolveDbPath(undefined, { env: process.env })),
      // So is the flow export setting (docs/flow-export.md).
      flowExport: {
        store: new SqliteExportSettingsStore(resolveDbPath(undefined, { env: process.env })),
      },
    })
    stopMetrics = startDesktopMetrics(monitor, (line) => console.error(line))
    return monitor
  },
)
void host.stopped
  .then(() => stopMetrics)
  .then((close) => close?.())
  .finally(() => process.exit(0))
