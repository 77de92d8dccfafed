/** Packet decoders over raw frames: see frame.ts (link layers) and ip.ts (IP + transport). */
export { decodeFrame } from './frame'
export { decodeIPv4, decodeIPv6 } from './ip'
export { formatAddress, formatIPv4, formatIPv6 } from './address'
export * from './linktypes'
export * from './scratch'
