/**
 * Where the app's files are, in a checkout and in a package. The bundle (out/main) is the anchor:
 * in a checkout it is <repo>/out/main; packaged it is <resources>/app.asar/out/main. Files that
 * must exist on disk (worker entries and their chunks, native addons, the capture helper) are
 * unpacked by electron-builder (asarUnpack) to the same relative path under app.asar.unpacked.
 */
import { join, sep } from 'node:path'

const ASAR = `${sep}app.asar${sep}`
const UNPACKED = `${sep}app.asar.unpacked${sep}`

/** The app root (the repo, or app.asar) from a directory inside the bundle. */
export function appRoot(bundleDir: string): string {
  // Shared chunks may sit one level below out/main; the root is the parent of `out`.
  const parts = bundleDir.split(sep)
  const out = parts.lastIndexOf('out')
  if (out <= 0) throw new Error(`not inside a built bundle (no out/ in ${bundleDir})`)
  return parts.slice(0, out).join(sep) || sep
}

/** The on-disk path of a file packed under app.asar but unpacked; other paths unchanged. */
export function unpacked(path: string): string {
  const i = path.indexOf(ASAR)
  return i < 0 ? path : path.slice(0, i) + UNPACKED + path.slice(i + ASAR.length)
}

/** True when running from a packaged app (the bundle is inside app.asar). */
export function isPackaged(bundleDir: string): boolean {
  return `${bundleDir}${sep}`.includes(ASAR)
}

export interface AppPaths {
  root: string
  /** A bundle entry (engine, capture, probe, preload...) as a runnable file. */
  entry(name: string): string
  /** A native addon of ours (native/<dir>/build/Release/<file>.node), unpacked. */
  addon(dir: string, file: string): string
  /** The capture helper binary (native/caphelper), unpacked. */
  captureHelper(): string
  /** Resources shipped with the app (icons), read-only; Electron reads these inside the asar. */
  resource(name: string): string
}

export function appPaths(bundleDir: string): AppPaths {
  const root = appRoot(bundleDir)
  return {
    root,
    entry: (name) => unpacked(join(root, 'out', 'main', `${name}.js`)),
    addon: (dir, file) => unpacked(join(root, 'native', dir, 'build', 'Release', file)),
    captureHelper: () => unpacked(join(root, 'native', 'caphelper', 'build', 'flowscope-capture')),
    resource: (name) => join(root, 'resources', name),
  }
}
