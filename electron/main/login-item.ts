/**
 * Start at login. Electron's setLoginItemSettings covers macOS and Windows; on Linux the desktop
 * standard is an XDG autostart entry (~/.config/autostart/flowscope.desktop). Started that way the
 * app opens hidden in the tray.
 */
import { app } from 'electron'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const HIDDEN_ARG = '--hidden'

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env['XDG_CONFIG_HOME'] || join(homedir(), '.config')
  return join(config, 'autostart', 'flowscope.desktop')
}

/** The command that starts this app: the AppImage if run from one, else the executable. */
export function launchCommand(
  env: NodeJS.ProcessEnv = process.env,
  execPath = process.execPath,
): string {
  const exe = env['APPIMAGE'] || execPath
  return `"${exe.replace(/(["\\$`])/g, '\\$1')}" ${HIDDEN_ARG}`
}

export function setOpenAtLogin(
  on: boolean,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (platform !== 'linux') {
    app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_ARG] })
    return
  }
  const file = autostartFile(env)
  if (!on) {
    rmSync(file, { force: true })
    return
  }
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(
    file,
    [
      '[Desktop Entry]',
      'Type=Application',
      'Name=Flowscope',
      'Comment=Network I/O monitor',
      `Exec=${launchCommand(env)}`,
      'Icon=flowscope',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n'),
  )
}
