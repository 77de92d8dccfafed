/**
 * Where the history database lives: `--db PATH`, else $FLOWSCOPE_DB, else the user's data
 * directory (XDG on Linux, Application Support on macOS, %LOCALAPPDATA% on Windows).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface PathEnv {
  env: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  home?: string
}

export function defaultDbPath({
  env,
  platform = process.platform,
  home = homedir(),
}: PathEnv): string {
  if (platform === 'darwin')
    return join(home, 'Library', 'Application Support', 'Flowscope', 'history.db')
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA || env.APPDATA || join(home, 'AppData', 'Local')
    return join(base, 'Flowscope', 'history.db')
  }
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME
  const base = xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share')
  return join(base, 'flowscope', 'history.db')
}

export function resolveDbPath(option: string | undefined, io: PathEnv): string {
  if (option !== undefined && option !== '') return option
  if (io.env.FLOWSCOPE_DB) return io.env.FLOWSCOPE_DB
  return defaultDbPath(io)
}
