/** Serve mode and a browser, both inside a test namespace, for the end-to-end specs. */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from '@playwright/test'
import { existsSync } from 'node:fs'
import { hasCommand, isRoot, type Netns } from './netns'

/** Starts `flowscope serve` in namespace `ns` on a free port and resolves with the printed URL. */
export function startServe(
  net: Netns,
  ns: string,
  ...args: string[]
): Promise<{ url: string; serve: ChildProcess }> {
  const serve = net.spawn(ns, [
    process.execPath,
    'bin/flowscope.cjs',
    'serve',
    '--port',
    '0',
    ...args,
  ])
  return new Promise((resolve, reject) => {
    let out = ''
    serve.stdout!.on('data', (d) => {
      out += d
      const m = /(http:\/\/\S+)/.exec(out)
      if (m) resolve({ url: m[1]!, serve })
    })
    serve.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
  })
}

/** A fresh history database path in a temporary folder. */
export const tempDb = (prefix: string): string =>
  join(mkdtempSync(join(tmpdir(), `${prefix}-db-`)), 'history.db')

/**
 * Chromium inside namespace `ns` (so it reaches that namespace's loopback) with one page at
 * `url`; `problems` collects console errors and uncaught page errors.
 */
export async function openPage(
  net: Netns,
  ns: string,
  url: string,
  args: string[] | undefined,
  viewport = { width: 1400, height: 900 },
): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  const browser = await chromium.launch({ executablePath: net.chromiumIn(ns), args })
  const page = await browser.newPage({ viewport })
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(url)
  return { browser, page, problems }
}

/**
 * What an e2e spec in namespaces needs and this machine lacks: root, iproute2, Chromium, a build,
 * and the given commands. Empty when the spec can run.
 */
export function missingForE2e(...commands: string[]): string[] {
  return [
    !isRoot && 'root (network namespaces)',
    ...['ip', ...commands].map((c) => !hasCommand(c) && c),
    !existsSync('/usr/bin/chromium') && '/usr/bin/chromium',
    !existsSync('out/renderer/index.html') && 'a build (npm run build)',
  ].filter((x): x is string => typeof x === 'string')
}
