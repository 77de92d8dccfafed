// Builds native/caphelper/build/flowscope-capture (`npm run build:native`): a plain C program
// against the system libpcap, like Wireshark's dumpcap. Linux only; needs cc and libpcap-dev.
// Granting it CAP_NET_RAW is a separate, deliberate step (README "Capture rights").
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
if (process.platform !== 'linux') {
  console.log(`native/caphelper: skipped on ${process.platform} (live capture is Linux-only)`)
  process.exit(0)
}
mkdirSync(join(here, 'build'), { recursive: true })
const out = join(here, 'build', 'flowscope-capture')
const cc = process.env.CC || 'cc'
const args = [
  ...['-O2', '-Wall', '-Wextra', '-Werror', '-fstack-protector-strong', '-D_FORTIFY_SOURCE=2'],
  ...['-fPIE', '-pie', '-Wl,-z,relro,-z,now'],
  '-o',
  `${out}.tmp`,
  join(here, 'src', 'flowscope-capture.c'),
  '-lpcap',
]
let r = spawnSync(cc, args, { stdio: 'inherit' })
// Replace atomically: setcap'd builds lose their capability anyway when rewritten (see README).
if (r.status === 0) r = spawnSync('mv', ['-f', `${out}.tmp`, out], { stdio: 'inherit' })
process.exit(r.status ?? 1)
