/** `serve --no-store` with an empty HOME opens and creates no database (issue 9 item 5). */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../unit/store/helpers'
import { BIN, ROOT, built } from './helpers'

const ready = built() && existsSync(join(ROOT, 'out', 'renderer', 'index.html'))
const { dir: home, cleanup } = tempDir('fss-home-')
afterAll(cleanup)

describe.skipIf(!ready)('serve --no-store', () => {
  it('creates no file under an empty HOME', async () => {
    const env = { ...process.env, HOME: home, FLOWSCOPE_DB: '', XDG_DATA_HOME: '' }
    const child = spawn(process.execPath, [BIN, 'serve', '--no-store', '--port', '0'], { env })
    let out = ''
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d
        if (out.includes('serving at')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
    })
    await new Promise((r) => setTimeout(r, 1500)) // a tick or so: nothing records lazily
    child.kill('SIGINT')
    await new Promise((r) => child.once('exit', r))
    expect(readdirSync(home)).toEqual([])
  })
})
