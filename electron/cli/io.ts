/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM, so long-running commands end cleanly. */
  signal: AbortSignal
}

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A clear failure the user can act on (missing file, no permission): one line, exit code 2. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message)
  }
}

export interface Command {
  /** Full usage text shown by `flowscope COMMAND --help`. */
  usage: string
  /** Returns the process exit code. Throw UsageError / CliError for clean one-line failures. */
  run(args: string[], io: CliIo): Promise<number>
}

/**
 * A command as the CLI lists it: its help line, and its module loaded only when it runs, so a
 * command pays only for its own dependencies at start-up.
 */
export interface CommandEntry {
  /** One line shown by `flowscope --help`. */
  summary: string
  load: () => Promise<Command>
}
