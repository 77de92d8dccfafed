import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(__dirname, '..', '..', '..')
export const BIN = join(ROOT, 'bin', 'flowscope.cjs')
export const BUILT_STORE = join(ROOT, 'out', 'main', 'store.js')

/** Integration tests run the build; say why they skip when it is missing. */
export function built(): boolean {
  const ok = existsSync(join(ROOT, 'out', 'main', 'cli.js')) && existsSync(BUILT_STORE)
  if (!ok) console.warn('store integration tests skipped: run `npm run build` first')
  return ok
}

export function flowscope(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FLOWSCOPE_DB: '', ...env },
    timeout: 60_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
