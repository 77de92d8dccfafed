/**
 * libpcap reports a handle's link type as a DLT_ value; the decoders and pcap files speak
 * LINKTYPE_ values. They are equal except for a few historical numbers, which libpcap maps the
 * same way (pcap-common.c dlt_to_linktype).
 */
const DLT_TO_LINKTYPE: Record<number, number> = {
  11: 100, // DLT_ATM_RFC1483
  12: 101, // DLT_RAW (most systems)
  14: 101, // DLT_RAW (OpenBSD)
  15: 102, // DLT_SLIP_BSDOS
  16: 103, // DLT_PPP_BSDOS
  19: 106, // DLT_ATM_CLIP
}

export function dltToLinkType(dlt: number): number {
  return DLT_TO_LINKTYPE[dlt] ?? dlt
}
