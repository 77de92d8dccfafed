/**
 * The `flowscope` command. bin/flowscope.cjs loads the built copy of this module and calls main().
 * Every failure the user can cause ends as one line on stderr and exit code 2, never a stack trace.
 */
import { version } from '../../package.json'
import { commands } from './commands'
import { CliError, UsageError, type CliIo } from './io'

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return [
    'Flowscope: network I/O monitor',
    '',
    'Usage: flowscope COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show help (also after a command: flowscope serve --help)',
    '  -V, --version  print the version',
    '',
  ].join('\n')
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(help())
      return 0
    }
    if (first === '--version' || first === '-V') {
      io.stdout.write(`${version}\n`)
      return 0
    }
    if (first.startsWith('-'))
      throw new UsageError(`unknown option '${first}' (see flowscope --help)`)
    const entry = Object.hasOwn(commands, first) ? commands[first] : undefined
    if (!entry) throw new UsageError(`unknown command '${first}' (see flowscope --help)`)
    const command = await entry.load()
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`)
      return 0
    }
    return await command.run(rest, io)
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) {
      io.stderr.write(`flowscope: ${err.message}\n`)
      return err instanceof CliError ? err.exitCode : 2
    }
    const message = err instanceof Error ? err.message : String(err)
    io.stderr.write(`flowscope: internal error: ${message}\n`)
    if (io.env.FLOWSCOPE_DEBUG) io.stderr.write(`${err instanceof Error ? err.stack : ''}\n`)
    return 1
  }
}

/** Process entry: wires real stdio and signals, returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // A closed pipe (flowscope ... | head) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
  })
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  })
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  return code
}
