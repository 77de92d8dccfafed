/**
 * The rules file of `flowscope serve --rules FILE` (YAML; format in docs/alerts.md). A file that
 * is not valid YAML or does not match the schema is refused with the line and the reason.
 */
import { readFile } from 'node:fs/promises'
import { isMap, LineCounter, parseDocument, type Node } from 'yaml'
import { AlertConfig } from '../../../common/alerts'

export class RulesFileError extends Error {
  override name = 'RulesFileError'
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`)
  }
}

/** Largest rules file read (a rules file is small; anything bigger is a mistake). */
const MAX_BYTES = 1024 * 1024

export async function loadRulesFile(file: string): Promise<AlertConfig> {
  let text: string
  try {
    const buf = await readFile(file)
    if (buf.length > MAX_BYTES) throw new RulesFileError(file, null, 'larger than 1 MiB')
    text = buf.toString('utf8')
  } catch (err) {
    if (err instanceof RulesFileError) throw err
    const e = err as NodeJS.ErrnoException
    throw new RulesFileError(file, null, `cannot read: ${e.code ?? e.message}`)
  }
  return parseRules(text, file)
}

export function parseRules(text: string, file = 'rules'): AlertConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true })
  const first = doc.errors[0]
  if (first) {
    const line = first.linePos?.[0].line ?? null
    throw new RulesFileError(file, line, first.message.split(' at line ')[0]!)
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw new RulesFileError(file, lineOf(doc.contents, lines), 'expected a mapping with `rules:`')
  const parsed = AlertConfig.safeParse(doc.toJS() ?? {})
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  // The deepest node of the path that exists in the file gives the line.
  let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  let node: unknown = null
  while (path.length > 0 && !(node = doc.getIn(path, true))) path = path.slice(0, -1)
  const where = issue.path.length ? `${issue.path.join('.')}: ` : ''
  let reason = issue.message
  if (issue.code === 'unrecognized_keys')
    reason = `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`
  return fail(file, lineOf(node as Node | null, lines), `${where}${reason}`)
}

function fail(file: string, line: number | null, reason: string): never {
  throw new RulesFileError(file, line, reason)
}

function lineOf(node: Node | null | undefined, lines: LineCounter): number | null {
  const start = node?.range?.[0]
  return start === undefined ? null : lines.linePos(start).line
}
