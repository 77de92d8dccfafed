import { describe, expect, it } from 'vitest'
import { ProbeTargetError, parseProbeTarget } from '../../../electron/shared/probes/target'

describe('parseProbeTarget', () => {
  it('parses every kind', () => {
    expect(parseProbeTarget('icmp://10.0.0.1')).toEqual({
      url: 'icmp://10.0.0.1',
      kind: 'icmp',
      host: '10.0.0.1',
    })
    expect(parseProbeTarget('icmp://[fd00::1]')).toMatchObject({ kind: 'icmp', host: 'fd00::1' })
    expect(parseProbeTarget('tcp://example.net:443')).toMatchObject({
      kind: 'tcp',
      host: 'example.net',
      port: 443,
    })
    expect(parseProbeTarget('udp://[::1]:7')).toMatchObject({ kind: 'udp', host: '::1', port: 7 })
    expect(parseProbeTarget('dns://9.9.9.9/example.com')).toMatchObject({
      kind: 'dns',
      host: '9.9.9.9',
      port: 53,
      name: 'example.com',
      qtype: 'A',
    })
    expect(parseProbeTarget('dns://127.0.0.1:5353/example.com.?type=aaaa')).toMatchObject({
      port: 5353,
      name: 'example.com',
      qtype: 'AAAA',
    })
    expect(parseProbeTarget('http://h/x?y=1')).toMatchObject({
      kind: 'http',
      port: 80,
      href: 'http://h/x?y=1',
    })
    expect(parseProbeTarget('HTTPS://h:8443')).toMatchObject({ kind: 'https', port: 8443 })
  })

  const malformed: [string, RegExp][] = [
    ['example.com', /expected one of/],
    ['', /expected one of/],
    ['ftp://h', /unknown kind 'ftp'/],
    ['icmp://', /missing host|not a valid URL/],
    ['icmp://h:7', /takes no port/],
    ['icmp://h/path', /unexpected path/],
    ['tcp://h', /missing port/],
    ['tcp://h:0', /port 0/],
    ['tcp://h:70000', /not a valid URL/],
    ['udp://h:x', /not a valid URL/],
    ['udp://h:7/x', /unexpected path/],
    ['dns://9.9.9.9', /missing the name/],
    ['dns://9.9.9.9/', /missing the name/],
    ['dns://9.9.9.9/a..b', /not a valid DNS name/],
    ['dns://9.9.9.9/example.com?type=BOGUS', /unknown DNS type/],
    ['dns://9.9.9.9/example.com?class=IN', /unknown query parameter/],
    ['http://user:pw@h/', /credentials/],
    ['http://', /not a valid URL|missing host/],
  ]
  it.each(malformed)('rejects %j with a one-line reason', (raw, why) => {
    let err: unknown
    try {
      parseProbeTarget(raw)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ProbeTargetError)
    expect((err as Error).message).toMatch(why)
    expect((err as Error).message).not.toContain('\n')
  })
})
