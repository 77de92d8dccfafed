import { terminalSafe } from '../shared/report/terminal'

/** Left-aligned text columns for terminal output, two spaces apart (control characters escaped). */
export function renderTable(header: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(terminalSafe))
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}
