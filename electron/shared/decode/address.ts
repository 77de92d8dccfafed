/**
 * Address text, made only when a flow is created (never per packet). IPv6 follows RFC 5952
 * (lower case, longest run of two or more zero groups as ::, IPv4-mapped as ::ffff:a.b.c.d),
 * which is also how tshark prints them.
 */

export function formatIPv4(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`
}

export function formatIPv6(w: ArrayLike<number>): string {
  const g: number[] = []
  for (let i = 0; i < 4; i++) {
    const x = w[i]! >>> 0
    g.push(x >>> 16, x & 0xffff)
  }
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(w[3]! >>> 0)}`
  }
  let bestStart = -1
  let bestLen = 1 // a single zero group is never compressed
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (a: number, b: number) =>
    g
      .slice(a, b)
      .map((x) => x.toString(16))
      .join(':')
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`
}

/** Address of a decoded packet endpoint: IPv4 uses word 0 only. */
export function formatAddress(ipVersion: number, w: ArrayLike<number>): string {
  return ipVersion === 4 ? formatIPv4(w[0]! >>> 0) : formatIPv6(w)
}
