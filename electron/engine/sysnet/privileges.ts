import { readFileSync } from 'node:fs'
import {
  checkCaptureHelper,
  findCaptureHelper,
  type HelperCheck,
} from '../../shared/capture/capture-helper'
import { captureAdvice } from '../../shared/capture/errors'

const CAP_NET_RAW = 13n
/** A helper check spawns a tiny process; the answer holds for this long. */
const CHECK_TTL_MS = 10_000

/** Parses the CapEff mask from /proc/self/status. */
export function effectiveCaps(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status)
  return m ? BigInt(`0x${m[1]}`) : null
}

let cached: { at: number; check: HelperCheck | null } | null = null

/** The capture helper and whether it can capture here (`--check`), cached for a few seconds. */
export function helperCheck(now = Date.now()): HelperCheck | null {
  if (cached && now - cached.at < CHECK_TTL_MS) return cached.check
  const path = findCaptureHelper()
  cached = { at: now, check: path === null ? null : checkCaptureHelper(path) }
  return cached.check
}

/**
 * Whether live capture works for this user. Capture goes through the capture helper (the only
 * program with CAP_NET_RAW, see shared/capture/capture-helper.ts); without a helper, only a
 * process that holds CAP_NET_RAW itself (root) can capture. The reason says exactly how to get
 * the right: join the group, or for a checkout, grant the helper the capability.
 */
export function captureRights(
  status = readStatus(),
  helper: HelperCheck | null = helperCheck(),
): { allowed: boolean; reason: string | null } {
  if (process.platform !== 'linux')
    return { allowed: false, reason: 'live capture is supported on Linux only so far' }
  if (helper?.ok) return { allowed: true, reason: null }
  if (helper === null) {
    const caps = status === null ? null : effectiveCaps(status)
    if (caps !== null && (caps >> CAP_NET_RAW) & 1n) return { allowed: true, reason: null }
  }
  return {
    allowed: false,
    reason: `needs CAP_NET_RAW, which only the capture helper gets: ${captureAdvice(helper?.path ?? null, helper?.cannotRun ?? false)}`,
  }
}

function readStatus(): string | null {
  try {
    return readFileSync('/proc/self/status', 'utf8')
  } catch {
    return null
  }
}
