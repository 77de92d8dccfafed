import { describe, expect, it } from 'vitest'
import { appPaths, appRoot, isPackaged, unpacked } from '../../../electron/engine/host/app-paths'

describe('app paths', () => {
  it('in a checkout: everything under the repo, nothing rewritten', () => {
    const p = appPaths('/home/op/flowscope/out/main')
    expect(isPackaged('/home/op/flowscope/out/main')).toBe(false)
    expect(p.root).toBe('/home/op/flowscope')
    expect(p.entry('engine')).toBe('/home/op/flowscope/out/main/engine.js')
    expect(p.entry('capture')).toBe('/home/op/flowscope/out/main/capture.js')
    expect(p.addon('pcapbatch', 'fsc_pcapbatch.node')).toBe(
      '/home/op/flowscope/native/pcapbatch/build/Release/fsc_pcapbatch.node',
    )
    expect(p.captureHelper()).toBe('/home/op/flowscope/native/caphelper/build/flowscope-capture')
    expect(p.resource('icons/32x32.png')).toBe('/home/op/flowscope/resources/icons/32x32.png')
  })

  it('packaged: processes, addons and the helper from app.asar.unpacked; icons from the asar', () => {
    const dir = '/opt/Flowscope/resources/app.asar/out/main'
    const p = appPaths(dir)
    expect(isPackaged(dir)).toBe(true)
    expect(p.root).toBe('/opt/Flowscope/resources/app.asar')
    expect(p.entry('engine')).toBe('/opt/Flowscope/resources/app.asar.unpacked/out/main/engine.js')
    expect(p.entry('probe')).toBe('/opt/Flowscope/resources/app.asar.unpacked/out/main/probe.js')
    expect(p.addon('icmp', 'fsp_icmp.node')).toBe(
      '/opt/Flowscope/resources/app.asar.unpacked/native/icmp/build/Release/fsp_icmp.node',
    )
    expect(p.captureHelper()).toBe(
      '/opt/Flowscope/resources/app.asar.unpacked/native/caphelper/build/flowscope-capture',
    )
    expect(p.resource('icons/32x32.png')).toBe(
      '/opt/Flowscope/resources/app.asar/resources/icons/32x32.png',
    )
  })

  it('an AppImage mount, and a shared chunk one level below out/main, find the same root', () => {
    expect(appRoot('/tmp/.mount_FlowscXYZ/resources/app.asar/out/main')).toBe(
      '/tmp/.mount_FlowscXYZ/resources/app.asar',
    )
    expect(appRoot('/home/op/flowscope/out/main/chunks')).toBe('/home/op/flowscope')
  })

  it('rewrites only a whole app.asar path segment', () => {
    expect(unpacked('/x/app.asar/y')).toBe('/x/app.asar.unpacked/y')
    expect(unpacked('/x/app.asar.unpacked/y')).toBe('/x/app.asar.unpacked/y')
    expect(unpacked('/x/myapp.asar/y')).toBe('/x/myapp.asar/y')
    expect(() => appRoot('/usr/lib/node_modules')).toThrow(/not inside a built bundle/)
  })
})
