/**
 * pcap LINKTYPE_ numbers (https://www.tcpdump.org/linktypes.html) and the ones we decode.
 * DLT_RAW is 12 on most systems and 14 on OpenBSD; both map to raw IP, as libpcap does.
 */
export const LINKTYPE_NULL = 0
export const LINKTYPE_ETHERNET = 1
export const LINKTYPE_PPP = 9
export const LINKTYPE_DLT_RAW_12 = 12
export const LINKTYPE_DLT_RAW_14 = 14
export const LINKTYPE_PPP_HDLC = 50
export const LINKTYPE_PPP_ETHER = 51
export const LINKTYPE_RAW = 101
export const LINKTYPE_C_HDLC = 104
export const LINKTYPE_LOOP = 108
export const LINKTYPE_LINUX_SLL = 113
export const LINKTYPE_IPV4 = 228
export const LINKTYPE_IPV6 = 229
export const LINKTYPE_LINUX_SLL2 = 276

/** Names as libpcap's pcap_datalink_val_to_name() gives them (plus a few common unsupported ones). */
const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  6: 'IEEE802',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_SERIAL',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  107: 'FRELAY',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIO',
  143: 'DOCSIS',
  147: 'USER0',
  163: 'IEEE802_11_RADIO_AVS',
  189: 'USB_LINUX',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  220: 'USB_LINUX_MMAPPED',
  227: 'CAN_SOCKETCAN',
  228: 'IPV4',
  229: 'IPV6',
  230: 'IEEE802_15_4_NOFCS',
  249: 'NETLINK',
  253: 'NFLOG',
  276: 'LINUX_SLL2',
}

const SUPPORTED = new Set([
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_PPP,
  LINKTYPE_DLT_RAW_12,
  LINKTYPE_DLT_RAW_14,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_RAW,
  LINKTYPE_C_HDLC,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
])

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`
}

export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType)
}

export function supportedLinkTypes(): number[] {
  return [...SUPPORTED].sort((a, b) => a - b)
}
