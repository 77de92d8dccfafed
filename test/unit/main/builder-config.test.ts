/**
 * electron-builder's configuration as electron-builder itself reads it (getConfig: the YAML plus
 * package.json) and validates it (validateConfiguration: its JSON schema, scheme.json, with ajv),
 * then the packaging invariants: what must be unpacked from the asar, the deb's dependencies, fuses.
 */
import { createRequire } from 'node:module'
import { readFileSync, readdirSync } from 'node:fs'
import { matchesGlob } from 'node:path'
import { describe, expect, it } from 'vitest'
import viteConfig from '../../../electron.vite.config'

const require = createRequire(import.meta.url)
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(dir: string, path: string | null, fromOptions: null): Promise<Record<string, unknown>>
  validateConfiguration(config: unknown, logger: unknown): Promise<void>
}
const { DebugLogger } = require('builder-util') as { DebugLogger: new (on: boolean) => unknown }

const root = new URL('../../../', import.meta.url).pathname

async function loadConfig() {
  const config = await getConfig(root, 'electron-builder.yml', null)
  await validateConfiguration(config, new DebugLogger(false))
  return config as {
    asarUnpack: string[]
    files: Array<string | { filter: string[] }>
    deb: { depends: string[]; afterInstall: string; afterRemove: string }
    electronFuses: Record<string, boolean>
    linux: { target: string[]; icon: string; desktop: { entry: Record<string, string> } }
  }
}

/** Whether glob patterns (electron-builder's: later `!pattern` excludes) select `file`. */
function unpackedBy(patterns: Array<string | { filter: string[] }>, file: string): boolean {
  const flat = patterns.flatMap((p) => (typeof p === 'string' ? [p] : p.filter))
  let selected = false
  for (const p of flat) {
    if (p.startsWith('!')) selected &&= !matchesGlob(file, p.slice(1))
    else selected ||= matchesGlob(file, p)
  }
  return selected
}

describe('electron-builder configuration', () => {
  it('passes electron-builder schema validation, and the validator does reject a bad key', async () => {
    await expect(loadConfig()).resolves.toBeTruthy()
    await expect(
      validateConfiguration({ electronFuses: { runAsNode: 'no' } }, new DebugLogger(false)),
    ).rejects.toThrow(/electronFuses\.runAsNode/)
    await expect(
      validateConfiguration({ deb: { dependz: ['libpcap0.8'] } }, new DebugLogger(false)),
    ).rejects.toThrow(/configuration\.deb/)
  })

  it('unpacks every bundle entry the app runs as a process, and their chunks', async () => {
    const { asarUnpack, files } = await loadConfig()
    const input = (
      viteConfig as { main: { build: { rollupOptions: { input: Record<string, string> } } } }
    ).main.build.rollupOptions.input
    // The engine host and the workers run as utility processes from disk.
    for (const entry of ['engine', 'capture', 'probe']) {
      expect(Object.keys(input)).toContain(entry)
      expect(unpackedBy(asarUnpack, `out/main/${entry}.js`), entry).toBe(true)
      expect(unpackedBy(files, `out/main/${entry}.js`), entry).toBe(true)
    }
    expect(unpackedBy(asarUnpack, 'out/main/monitor-AbCd1234.js')).toBe(true)
  })

  it('unpacks every native module: ours, better-sqlite3, and the capture helper', async () => {
    const { asarUnpack, files } = await loadConfig()
    const addons = readdirSync(`${root}native`).filter((d) => d !== 'caphelper')
    expect(addons.length).toBeGreaterThanOrEqual(2)
    const ours: Record<string, string> = { pcapbatch: 'fsc_pcapbatch.node', icmp: 'fsp_icmp.node' }
    for (const dir of addons) {
      const file = `native/${dir}/build/Release/${ours[dir] ?? `${dir}.node`}`
      expect(unpackedBy(asarUnpack, file), file).toBe(true)
      expect(unpackedBy(files, file), file).toBe(true)
    }
    expect(
      unpackedBy(asarUnpack, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    ).toBe(true)
    const helper = 'native/caphelper/build/flowscope-capture'
    expect(unpackedBy(asarUnpack, helper)).toBe(true)
    expect(unpackedBy(files, helper)).toBe(true)
  })

  it("depends on electron-builder's default deb list plus libpcap and setcap, with the postinst", async () => {
    const { deb, linux } = await loadConfig()
    expect(deb.depends).toEqual([
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
      'libpcap0.8',
      'libcap2-bin',
    ])
    expect(deb.afterInstall).toBe('resources/deb/postinst')
    expect(deb.afterRemove).toBe('resources/deb/postrm')
    expect(linux.target).toEqual(['AppImage', 'deb'])
    expect(linux.icon).toBe('resources/icons')
    expect(readdirSync(`${root}resources/icons`).sort()).toEqual(
      [16, 24, 32, 48, 64, 128, 256, 512].map((s) => `${s}x${s}.png`).sort(),
    )
    expect(linux.desktop.entry).toMatchObject({ Name: 'Flowscope', Categories: 'Network;Monitor;' })
  })

  it('sets the fuses: no RunAsNode, NODE_OPTIONS or --inspect; app only from a validated asar', async () => {
    const { electronFuses } = await loadConfig()
    expect(electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    })
  })

  // A custom afterInstall replaces electron-builder's after-install template (the /usr/bin link,
  // chrome-sandbox mode, desktop database, AppArmor profile), so the postinst must keep its steps.
  it("the postinst keeps electron-builder's own after-install steps and grants the unpacked helper", async () => {
    const text = readFileSync(`${root}resources/deb/postinst`, 'utf8')
    expect(text).toMatch(/\/usr\/bin\/\$\{executable\}/)
    expect(text).toMatch(/chrome-sandbox/)
    expect(text).toMatch(/update-desktop-database/)
    expect(text).toMatch(/apparmor/i)
    // The helper it gives cap_net_raw is the one the package unpacks from the asar.
    const { asarUnpack } = await loadConfig()
    expect(asarUnpack).toContain('native/caphelper/build/flowscope-capture')
    expect(text).toContain(
      "'/opt/${sanitizedProductName}/resources/app.asar.unpacked/native/caphelper/build/flowscope-capture'",
    )
    expect(text).toMatch(/setcap cap_net_raw\+ep "\$CAPTURE_HELPER"/)
  })
})
