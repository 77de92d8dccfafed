import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { History } from '../../engine/history'
import { Monitor } from '../../engine/monitor'
import { isLoopback } from '../../server/access'
import { startServer } from '../../server/server'
import { intOption, parseCommandArgs } from '../args'
import { CliError, UsageError, type Command } from '../io'
import { RETENTION_FLAGS, RETENTION_USAGE, retentionFromFlags } from '../../shared/store'

function retention_(values: Record<string, unknown>) {
  try {
    return retentionFromFlags(values)
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`)
  }
}

const usage = `Usage: flowscope serve [--host ADDRESS] [--port PORT] [--db PATH | --no-store]

Serves the Flowscope UI and its API on http://ADDRESS:PORT (default 127.0.0.1:7878) and prints
the URL to open, which carries a random access token. Records history while it runs. Runs until Ctrl-C.

Options:
  --host ADDRESS  address to listen on (default 127.0.0.1; anything else exposes the UI to the network)
  --port PORT     TCP port (default 7878; 0 picks a free one)
  --db PATH       history database (default $FLOWSCOPE_DB, else the user's data directory)
  --no-store      record no history
${RETENTION_USAGE}`

export const serveCommand: Command = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs('serve', args, {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      db: { type: 'string' },
      'no-store': { type: 'boolean' },
      ...RETENTION_FLAGS,
    })
    const host = values.host
    const port = intOption('port', values.port, 7878, 0, 65535)
    // The CLI is built to out/main/cli.js; the renderer to out/renderer.
    const staticDir = join(__dirname, '..', 'renderer')
    if (!existsSync(join(staticDir, 'index.html')))
      throw new CliError('the UI is not built: run `npm run build` first')

    const retention = retention_(values)
    // --no-store: no History at all, so no database is opened or created.
    const monitor = new Monitor(
      values['no-store']
        ? {}
        : {
            history: (events) =>
              new History(events, values.db, io.env, true, { writer: { retention } }),
          },
    )
    const failure = monitor.history?.status().failure
    if (failure) io.stderr.write(`flowscope: history is off: ${failure.message}\n`)
    let server
    try {
      server = await startServer({ monitor, staticDir, host, port })
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
    monitor.start()
    if (!isLoopback(host)) {
      io.stderr.write(
        `WARNING: listening on ${host}, not loopback: anyone who can reach this address and has the URL's token sees this machine's traffic.\n`,
      )
    }
    io.stdout.write(`Flowscope is serving at ${server.url}\n`)
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve()
      io.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await monitor.stop()
    await server.close()
    return 0
  },
}
