import type { Command } from '../io'
import { analyzeCommand } from './analyze'
import { captureCommand } from './capture'
import { interfacesCommand } from './interfaces'
import { probeCommand } from './probe'
import { reportCommand } from './report'
import { serveCommand } from './serve'

/** Every `flowscope` command, by name. Add a command here, in its own module beside this one. */
export const commands: Record<string, Command> = {
  analyze: analyzeCommand,
  capture: captureCommand,
  interfaces: interfacesCommand,
  probe: probeCommand,
  report: reportCommand,
  serve: serveCommand,
}
