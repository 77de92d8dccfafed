/**
 * Where a command's report goes: standard output, or a file that appears only when complete.
 * The file is written under a fresh random name beside the target, opened with O_EXCL ('wx'):
 * never an existing file or a planted symlink; owner-only (0600), renamed over the target only
 * once complete, so a failed run never leaves a truncated report behind. A target that is a
 * device, FIFO or socket (`--out /dev/null`, a named pipe) is written to as it is: renaming a
 * file over it would replace the device itself.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream, lstatSync } from 'node:fs'
import { once } from 'node:events'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CliError } from './io'

export async function writeOutput(
  command: string,
  outPath: string | undefined,
  stdout: NodeJS.WritableStream,
  write: (out: NodeJS.WritableStream) => Promise<void>,
): Promise<void> {
  if (!outPath) return write(stdout)
  if (isSpecialFile(outPath)) return writeInPlace(command, outPath, write)
  const tmp = join(
    dirname(outPath),
    `.${basename(outPath)}.${randomBytes(6).toString('hex')}.partial`,
  )
  const file = createWriteStream(tmp, { flags: 'wx', mode: 0o600 })
  let opened = false
  try {
    await once(file, 'open')
    opened = true
    await write(file)
    file.end()
    await once(file, 'finish')
    await rename(tmp, outPath)
  } catch (err) {
    file.destroy()
    if (opened) await rm(tmp, { force: true })
    const code = (err as NodeJS.ErrnoException).code
    if (code && !code.startsWith('SQLITE_'))
      throw new CliError(`${command}: cannot write ${outPath}: ${code}`)
    throw err
  }
}

function isSpecialFile(path: string): boolean {
  try {
    const st = lstatSync(path)
    return st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO() || st.isSocket()
  } catch {
    return false
  }
}

async function writeInPlace(
  command: string,
  outPath: string,
  write: (out: NodeJS.WritableStream) => Promise<void>,
): Promise<void> {
  const file = createWriteStream(outPath, { flags: 'w' })
  try {
    await once(file, 'open')
    await write(file)
    file.end()
    await once(file, 'finish')
  } catch (err) {
    file.destroy()
    const code = (err as NodeJS.ErrnoException).code
    if (code && !code.startsWith('SQLITE_'))
      throw new CliError(`${command}: cannot write ${outPath}: ${code}`)
    throw err
  }
}
