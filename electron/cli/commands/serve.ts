import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import { SqliteExportSettingsStore } from '../../engine/flowexport/service'
import { checkSettings, DEFAULT_EXPORT_SETTINGS } from '../../engine/flowexport/settings'
import { History } from '../../engine/history'
import { Monitor } from '../../engine/monitor'
import { SqliteSettingsStore } from '../../engine/settings/store'
import { DEFAULT_MAX_PROBE_RATE } from '../../engine/probes/limits'
import { isLoopback } from '../../server/access'
import { installProcessGuard, stderrLog } from '../../server/guard'
import { startServer } from '../../server/server'
import { intOption, parseCommandArgs } from '../args'
import { CliError, UsageError, type Command } from '../io'
import { fleetOptions, fleetUsage, prepareFleet, startFleet } from './serve-fleet'
import {
  RETENTION_FLAGS,
  RETENTION_USAGE,
  resolveDbPath,
  retentionFromFlags,
} from '../../shared/store'

function serveRetention(values: Record<string, unknown>) {
  try {
    return retentionFromFlags(values)
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`)
  }
}

const usage = `Usage: flowscope serve [--host ADDRESS] [--port PORT] [--tls-cert FILE --tls-key FILE | --insecure]
                      [--db PATH | --no-store] [--max-probe-rate N]
                      [--metrics [--metrics-token TOKEN]] [--rules FILE] [--export URL ...]

Serves the Flowscope UI and its API on http://ADDRESS:PORT (default 127.0.0.1:7878) and prints
the URL to open, which carries a random access token. Records history while it runs. Runs until Ctrl-C.

Options:
  --host ADDRESS   address to listen on (default 127.0.0.1; anything else exposes the UI to the
                   network and needs --tls-cert/--tls-key, or --insecure)
  --port PORT      TCP port (default 7878; 0 picks a free one)
  --tls-cert FILE  serve HTTPS and WSS with this certificate chain (PEM)
  --tls-key FILE   ...and this private key (PEM)
  --insecure       allow plain HTTP off loopback (the token and all traffic data cross the network
                   in clear)
  --db PATH        history database (default $FLOWSCOPE_DB, else the user's data directory)
  --no-store       record no history
  --max-probe-rate N  most probes per second over all targets (default ${DEFAULT_MAX_PROBE_RATE});
                   requests above it are refused
  --export URL     export live captures' flows to this collector (ipfix://HOST[:PORT],
                   ipfix+tcp://..., netflow9://...; repeatable): turns the flow export setting
                   on with these collectors and saves it (docs/flow-export.md)
${RETENTION_USAGE}
${fleetUsage}`

export const serveCommand: Command = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs('serve', args, {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      db: { type: 'string' },
      'no-store': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      insecure: { type: 'boolean' },
      'max-probe-rate': { type: 'string' },
      export: { type: 'string', multiple: true },
      ...fleetOptions,
      ...RETENTION_FLAGS,
    })
    const host = values.host
    const port = intOption('port', values.port, 7878, 0, 65535)
    const tls = readTls(values['tls-cert'], values['tls-key'])
    if (!isLoopback(host) && !tls && !values.insecure)
      throw new CliError(
        `serve: ${host} is not loopback: give --tls-cert FILE and --tls-key FILE, or --insecure to send the token and traffic data in clear`,
      )
    const maxProbeRate = intOption(
      'max-probe-rate',
      values['max-probe-rate'],
      DEFAULT_MAX_PROBE_RATE,
      1,
      1_000_000,
    )
    const exportUrls = values.export ?? []
    if (exportUrls.length > 0) {
      const c = checkSettings({ ...DEFAULT_EXPORT_SETTINGS, enabled: true, collectors: exportUrls })
      if (!c.ok) throw new UsageError(`serve: --export ${c.message}`)
    }
    // The CLI is built to out/main/cli.js; the renderer to out/renderer.
    const staticDir = join(__dirname, '..', 'renderer')
    if (!existsSync(join(staticDir, 'index.html')))
      throw new CliError('the UI is not built: run `npm run build` first')

    const fleet = await prepareFleet(values, host, io)
    const retention = serveRetention(values)
    const monitor = new Monitor({
      maxProbeRate,
      // --no-store: no History at all, so no database is opened or created.
      ...(!values['no-store'] && {
        history: (events) =>
          new History(events, values.db, io.env, true, { writer: { retention } }),
      }),
      alerts: { store: fleet.store },
      // Settings live in the same database (memory only with --no-store); the tick applies now.
      settings: values['no-store']
        ? null
        : new SqliteSettingsStore(resolveDbPath(values.db, { env: io.env })),
      flowExport: {
        store: values['no-store']
          ? null
          : new SqliteExportSettingsStore(resolveDbPath(values.db, { env: io.env })),
        ...(exportUrls.length > 0 && { collectors: exportUrls }),
      },
    })
    const metrics = startFleet(fleet, monitor, io)
    if (metrics)
      monitor.settings.setMetrics({
        source: 'serve',
        url: '/metrics',
        token_required: metrics.token !== null,
      })
    const failure = monitor.history?.status().failure
    if (failure) io.stderr.write(`flowscope: history is off: ${failure.message}\n`)
    let server
    try {
      server = await startServer({ monitor, staticDir, host, port, tls, metrics })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why =
        e.code === 'EADDRINUSE'
          ? 'address already in use'
          : e.code === 'EADDRNOTAVAIL'
            ? 'no such local address'
            : e.message
      throw new CliError(`serve: cannot listen on ${host}:${port}: ${why}`)
    }
    const unguard = installProcessGuard(stderrLog)
    monitor.start()
    if (!isLoopback(host)) {
      io.stderr.write(
        `WARNING: listening on ${host}, not loopback: anyone who can reach this address and has the URL's token sees this machine's traffic${tls ? '' : ', and without TLS anyone on the path can read the token'}.\n`,
      )
    }
    io.stdout.write(`Flowscope is serving at ${server.url}\n`)
    if (metrics) io.stdout.write(`Prometheus metrics at ${server.url.split('/?')[0]}/metrics\n`)
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve()
      io.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await monitor.stop()
    metrics?.metrics.close()
    await server.close()
    unguard()
    return 0
  },
}

/** Both files or neither; read now so a typo fails at start, not at the first connection. */
function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (certFile === undefined || keyFile === undefined)
    throw new CliError('serve: --tls-cert and --tls-key go together')
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new CliError(`serve: cannot read the TLS ${what} ${file}: ${(err as Error).message}`)
    }
  }
  const tls = { cert: read('certificate', certFile), key: read('key', keyFile) }
  try {
    createSecureContext(tls)
  } catch (err) {
    throw new CliError(`serve: the TLS certificate or key is not usable: ${(err as Error).message}`)
  }
  return tls
}
