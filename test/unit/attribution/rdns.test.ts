/**
 * Reverse DNS against local responders (dns-packet over UDP on 127.0.0.1): one serves PTR
 * records, one never answers. Names appear; a silent server costs a timeout once (negative
 * cache), and ticks keep coming while lookups are outstanding. Addresses asked are documentation
 * ones: c-ares answers from /etc/hosts first, which may name loopback.
 */
import { createSocket, type Socket } from 'node:dgram'
import dnsPacket from 'dns-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConversationRecord } from '../../../common/capture'
import { Attribution } from '../../../electron/shared/attribution'
import { ReverseDns } from '../../../electron/shared/attribution/rdns'

const PTR: Record<string, string> = {
  '1.2.0.192.in-addr.arpa': 'one.flowscope.test',
  '7.113.0.203.in-addr.arpa': 'doc.flowscope.test',
  // 2001:db8::5
  [`5.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`]: 'six.flowscope.test',
}

let answering: Socket
let silent: Socket
let answerAt = ''
let silentAt = ''
const queries: string[] = []

async function bind(host: string): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, host, () => r()))
  return s
}

beforeAll(async () => {
  answering = await bind('127.0.0.1')
  answering.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg)
    const name = q.questions?.[0]?.name ?? ''
    queries.push(name)
    const ptr = PTR[name]
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (ptr ? 0 : 3), // NXDOMAIN
      questions: q.questions,
      answers: ptr ? [{ type: 'PTR', name, ttl: 60, data: ptr }] : [],
    })
    answering.send(reply, rinfo.port, rinfo.address)
  })
  silent = await bind('127.0.0.1')
  silent.on('message', () => {}) // never answers
  answerAt = `127.0.0.1:${answering.address().port}`
  silentAt = `127.0.0.1:${silent.address().port}`
})
afterAll(() => {
  answering?.close()
  silent?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function conversation(a: string, b: string): ConversationRecord {
  const w = { s2: 0, s10: 0, s40: 0 }
  return {
    protocol: 'udp',
    address_a: a,
    port_a: 40000,
    address_b: b,
    port_b: 53,
    packets_a_to_b: 1,
    bytes_a_to_b: 100,
    packets_b_to_a: 0,
    bytes_b_to_a: 0,
    first_seen_us: 1,
    last_seen_us: 1,
    retransmissions: 0,
    handshake_rtt_ms: null,
    rate_a_to_b_bps: w,
    rate_b_to_a_bps: w,
    peak_a_to_b_bps: 0,
    peak_b_to_a_bps: 0,
  }
}

describe('reverse DNS', () => {
  it('names appear on a later call; a missing PTR is cached as none', async () => {
    const dns = new ReverseDns({ servers: [answerAt], timeoutMs: 500, tries: 1 })
    try {
      expect(dns.name('192.0.2.1')).toBeNull() // queued, not waited for
      expect(dns.name('2001:db8::5')).toBeNull()
      expect(dns.name('203.0.113.7')).toBeNull()
      expect(dns.name('198.51.100.9')).toBeNull()
      await dns.settle(3000)
      expect(dns.name('192.0.2.1')).toBe('one.flowscope.test')
      expect(dns.name('2001:db8::5')).toBe('six.flowscope.test')
      expect(dns.name('203.0.113.7')).toBe('doc.flowscope.test')
      expect(dns.name('198.51.100.9')).toBeNull()
      expect(dns.known('198.51.100.9')).toBe(true)
      const asked = queries.length
      dns.name('198.51.100.9')
      dns.name('192.0.2.1')
      await sleep(50)
      expect(queries.length).toBe(asked) // both answered from the cache
      expect(dns.stats).toMatchObject({ lookups: 4, answered: 3, failed: 1 })
    } finally {
      dns.close()
    }
  })

  it('expires answers after their lifetime', async () => {
    let now = 0
    const dns = new ReverseDns({ servers: [answerAt], positiveTtlMs: 1000, now: () => now })
    try {
      dns.name('192.0.2.1')
      await dns.settle(3000)
      expect(dns.known('192.0.2.1')).toBe(true)
      now = 2000
      expect(dns.known('192.0.2.1')).toBe(false)
      expect(dns.name('192.0.2.1')).toBe('one.flowscope.test') // stale name shown while re-asking
      expect(dns.stats.inFlight + dns.stats.queued).toBe(1)
    } finally {
      dns.close()
    }
  })

  it('bounds concurrency and the queue', () => {
    const dns = new ReverseDns({ servers: [silentAt], concurrency: 2, maxQueue: 3 })
    try {
      for (let i = 1; i <= 10; i++) dns.name(`192.0.2.${i}`)
      expect(dns.stats).toMatchObject({ inFlight: 2, queued: 3, dropped: 5 })
    } finally {
      dns.close()
    }
  })

  it('ticks keep coming while a server never answers; the timeout is cached as no name', async () => {
    const attribution = new Attribution({
      resolve: { servers: [silentAt], timeoutMs: 400, tries: 1 },
    })
    const records = [conversation('192.0.2.1', '203.0.113.7')]
    let ticks = 0
    let ticksWhileOutstanding = 0
    const timer = setInterval(() => {
      attribution.tick()
      const [r] = attribution.annotate(records)
      ticks++
      if (attribution.dns!.stats.inFlight > 0) ticksWhileOutstanding++
      expect(r!.name_a).toBeNull()
    }, 25)
    try {
      await sleep(100)
      expect(attribution.dns!.stats.inFlight).toBe(2)
      await attribution.dns!.settle(5000)
      expect(ticksWhileOutstanding).toBeGreaterThanOrEqual(5)
      expect(attribution.dns!.stats).toMatchObject({ failed: 2, inFlight: 0 })
      const lookups = attribution.dns!.stats.lookups
      await sleep(100)
      expect(attribution.dns!.stats.lookups).toBe(lookups) // negative answers cached
      console.log(`${ticks} ticks, ${ticksWhileOutstanding} while lookups were outstanding`)
    } finally {
      clearInterval(timer)
      attribution.close()
    }
  })

  it('the silent server first, then the answering one: names still come', async () => {
    const dns = new ReverseDns({ servers: [silentAt, answerAt], timeoutMs: 300, tries: 1 })
    try {
      dns.name('192.0.2.1')
      await dns.settle(5000)
      expect(dns.name('192.0.2.1')).toBe('one.flowscope.test')
    } finally {
      dns.close()
    }
  })
})
