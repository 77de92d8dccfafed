// Builds the fsp_icmp addon with node-gyp (`npm run build:native`). Linux only: elsewhere the
// icmp:// probe reports that it is unsupported and nothing is built. Uses the headers installed
// beside this Node when present, so no header download is needed on a machine without internet.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
if (process.platform !== 'linux') {
  console.log(`native/icmp: skipped on ${process.platform} (ICMP probes are Linux-only)`)
  process.exit(0)
}
const prefix = dirname(dirname(process.execPath))
const args = ['rebuild', '--directory', here]
if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`)
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js')
const r = spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
