/**
 * Text for a terminal. Cells can hold what other people chose (a process renames itself through
 * /proc/PID/comm, a PTR record names a host): control characters (C0, DEL, C1) are shown as
 * \xNN instead of reaching the operator's terminal as escape sequences.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
