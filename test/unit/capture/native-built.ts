import { loadNative } from '../../../electron/shared/capture/native'

/** Whether native/pcapbatch is built; tests that need it skip with the reason otherwise. */
export function nativeBuilt(): boolean {
  try {
    loadNative()
    return true
  } catch {
    console.warn('skipping libpcap tests: native/pcapbatch is not built (npm run build:native)')
    return false
  }
}
