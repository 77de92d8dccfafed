// Builds the fsc_pcapbatch addon (libpcap read in batches) with node-gyp, as part of
// `npm run build:native`. Needs libpcap-dev, make and g++ (scripts/setup-system.sh installs them).
// Uses the headers installed beside this Node when present, so no header download is needed.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const prefix = dirname(dirname(process.execPath))
// Incremental when already configured: `rebuild` would delete the addon under running tests.
const configured = existsSync(join(here, 'build', 'Makefile'))
const args = [configured ? 'build' : 'rebuild', '--directory', here]
if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`)
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js')
const r = spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
