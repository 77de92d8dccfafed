import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { run } from '../../../electron/cli/main'
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
    // Bad %-escapes: in a DNS name they used to escape as a URIError ("internal error").
    ['dns://9.9.9.9/%ZZ', /bad %-escape/],
    ['dns://9.9.9.9/%', /bad %-escape/],
    ['dns://9.9.9.9/%E0%A4%A', /bad %-escape/],
    ['dns://9.9.9.9/%C0%AF', /bad %-escape/],
    ['dns://9.9.9.9/ex%00ample.com', /not a valid DNS name/],
    ['dns://9.9.9.9/%0aexample.com', /not a valid DNS name/],
    ['dns://9.9.9.9/a%2Fb', /not a valid DNS name/],
    ['dns://9.9.9.9/caf%C3%A9.example', /not a valid DNS name/],
    ['tcp://h%ZZ:80', /not a valid host name/],
    ['udp://exa mple:53', /control characters/],
    ['icmp://ex$ample', /not a valid host name/],
    ['http://%ZZ/', /not a valid URL/],
    // Ports.
    ['tcp://h:-1', /not a valid URL/],
    ['tcp://h:65536', /not a valid URL/],
    ['tcp://h:99999999999999999999', /not a valid URL/],
    ['tcp://h:1e3', /not a valid URL/],
    ['tcp://h:', /missing port/],
    ['udp://h:0x50', /not a valid URL/],
    // IPv6 brackets.
    ['icmp://[::1', /not a valid URL/],
    ['icmp://::1', /not a valid URL/],
    ['tcp://[::1]]:80', /not a valid URL/],
    ['tcp://[fe80::1%eth0]:80', /not a valid URL/],
    ['tcp://[zz::1]:80', /not a valid URL/],
    ['icmp://[]', /not a valid URL|missing host/],
    ['dns://[/x', /not a valid URL/],
    // Empty hosts.
    ['tcp://:80', /not a valid URL|missing host/],
    ['dns:///example.com', /missing host|not a valid URL/],
    ['https:///path', /missing host|not a valid URL/],
    // Control characters, spaces, huge inputs: refused before the URL parser sees them.
    ['icmp://h\n', /control characters/],
    ['icmp://h\u0000', /control characters/],
    [' icmp://h', /control characters/],
    [`dns://9.9.9.9/${'a'.repeat(100_000)}`, /longer than 2048/],
    [`http://h/${'%'.repeat(3000)}`, /longer than 2048/],
    [`dns://9.9.9.9/${'a.'.repeat(200)}`, /not a valid DNS name/],
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
    expect((err as Error).message.length).toBeLessThan(400)
  })

  it('never throws anything but ProbeTargetError, whatever the input', () => {
    let seed = 99
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      return seed % n
    }
    const alphabet = [
      '%',
      'Z',
      '0',
      'f',
      ':',
      '[',
      ']',
      '/',
      '?',
      '#',
      '@',
      '.',
      'é',
      '\u0000',
      'a',
    ]
    const prefixes = ['icmp://', 'tcp://', 'udp://', 'dns://9.9.9.9/', 'http://', 'https://', '']
    for (let i = 0; i < 5000; i++) {
      let tail = ''
      for (let n = rnd(12); n > 0; n--) tail += alphabet[rnd(alphabet.length)]
      const raw = prefixes[rnd(prefixes.length)] + tail
      try {
        parseProbeTarget(raw)
      } catch (err) {
        expect(err, raw).toBeInstanceOf(ProbeTargetError)
      }
    }
  })
})

describe('flowscope probe with a malformed target', () => {
  it.each(['dns://9.9.9.9/%ZZ', 'tcp://[::1:80', 'icmp://h%00'])(
    '%j exits 2 with one line, not an internal error',
    async (target) => {
      const err = new PassThrough()
      let stderr = ''
      err.on('data', (d) => (stderr += d))
      const code = await run(['probe', '--count', '1', target], {
        stdout: new PassThrough(),
        stderr: err,
        env: {},
        signal: new AbortController().signal,
      })
      expect(code).toBe(2)
      expect(stderr).toMatch(/^flowscope: probe: bad probe target '.*': .+\n$/)
      expect(stderr).not.toMatch(/internal error/)
    },
  )
})
