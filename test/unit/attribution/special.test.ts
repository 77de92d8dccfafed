/** Every special-purpose range is labelled at both ends and never looked up; neighbours are not. */
import { describe, expect, it } from 'vitest'
import { Geo } from '../../../electron/shared/attribution/geo'
import { specialRange } from '../../../electron/shared/attribution/special'

// [first address, last address, label, an address just outside (or null)]
const RANGES: [string, string, string, string | null][] = [
  ['0.0.0.0', '0.0.0.0', 'unspecified', null],
  ['0.0.0.1', '0.255.255.255', 'this-network', '1.0.0.0'],
  ['10.0.0.0', '10.255.255.255', 'private', '11.0.0.0'],
  ['172.16.0.0', '172.31.255.255', 'private', '172.32.0.0'],
  ['192.168.0.0', '192.168.255.255', 'private', '192.169.0.0'],
  ['100.64.0.0', '100.127.255.255', 'cgnat', '100.128.0.0'],
  ['127.0.0.0', '127.255.255.255', 'loopback', '128.0.0.0'],
  ['169.254.0.0', '169.254.255.255', 'link-local', '169.255.0.0'],
  ['192.0.2.0', '192.0.2.255', 'documentation', '192.0.3.0'],
  ['198.51.100.0', '198.51.100.255', 'documentation', '198.51.101.0'],
  ['203.0.113.0', '203.0.113.255', 'documentation', '203.0.114.0'],
  ['198.18.0.0', '198.19.255.255', 'benchmarking', '198.20.0.0'],
  ['192.0.0.0', '192.0.0.255', 'reserved', '192.0.1.0'],
  ['224.0.0.0', '239.255.255.255', 'multicast', '223.255.255.255'],
  ['240.0.0.0', '255.255.255.254', 'reserved', null],
  ['255.255.255.255', '255.255.255.255', 'broadcast', null],
  ['::', '::', 'unspecified', null],
  ['::1', '::1', 'loopback', null],
  ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation', '2001:db9::'],
  ['3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation', null],
  ['2001:2::', '2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking', '2001:3::'],
  ['fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local', null],
  ['fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local', null],
  ['ff00::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast', null],
  ['64:ff9b::', '64:ff9b::ffff:ffff', 'nat64', null],
  ['fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved', null],
  ['100::', '100::ffff:ffff:ffff:ffff', 'reserved', null],
]

describe('special ranges', () => {
  const geo = new Geo()
  for (const [first, last, label, outside] of RANGES) {
    it(`${first} - ${last} is ${label}`, () => {
      expect(specialRange(first)).toBe(label)
      expect(specialRange(last)).toBe(label)
      for (const a of [first, last])
        expect(geo.lookup(a)).toEqual({ special: label, country: null, asn: null, as_org: null })
      if (outside) expect(specialRange(outside)).not.toBe(label)
    })
  }
  it('public addresses are not special, and mapped IPv4 is read as IPv4', () => {
    for (const a of ['1.1.1.1', '8.8.8.8', '2001:4860:4860::8888', '2a00:1450::1'])
      expect(specialRange(a)).toBeNull()
    expect(specialRange('::ffff:10.1.2.3')).toBe('private')
    expect(specialRange('::ffff:8.8.8.8')).toBeNull()
  })
})
