// `npm run bench [-- NAME...]`: runs every bench/*.bench.mjs (or those whose name contains one
// of the given words) one after another, each in its own Node process, and reports failures.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort()
if (scripts.length === 0) {
  console.error(`no bench/*.bench.mjs matches ${wanted.join(' ') || '(any)'}`)
  process.exit(2)
}
const failed = []
for (const script of scripts) {
  console.log(`\n=== ${script} ===`)
  const r = spawnSync(process.execPath, [join(here, script)], { stdio: 'inherit' })
  if (r.status !== 0) failed.push(`${script} (exit ${r.status ?? r.signal})`)
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`)
  process.exit(1)
}
