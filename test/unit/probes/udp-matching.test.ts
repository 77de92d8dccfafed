import dgram from 'node:dgram'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { PendingTable } from '../../../electron/workers/probe/prober'
import { UdpProber, decodeEcho, encodeEcho } from '../../../electron/workers/probe/probers/udp'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('PendingTable', () => {
  it('sorts replies into on time, late, duplicate and foreign', () => {
    const counters = { late: 0, duplicates: 0 }
    const t = new PendingTable<number, string>(counters, 4)
    t.add(1, 'one')
    t.add(2, 'two')
    expect(t.reply(1)).toBe('one')
    expect(t.reply(1)).toBeUndefined() // duplicate
    expect(t.expire(2)).toBe('two')
    expect(t.reply(2)).toBeUndefined() // late
    expect(t.reply(2)).toBeUndefined() // duplicate of the late reply
    expect(t.reply(99)).toBeUndefined() // never sent: neither
    expect(counters).toEqual({ late: 1, duplicates: 2 })
  })

  it('forgets old ids beyond its memory', () => {
    const counters = { late: 0, duplicates: 0 }
    const t = new PendingTable<number, number>(counters, 2)
    for (const k of [1, 2, 3]) {
      t.add(k, k)
      t.reply(k)
    }
    t.reply(1) // forgotten: not counted
    t.reply(3)
    expect(counters).toEqual({ late: 0, duplicates: 1 })
  })
})

describe('UdpProber matching', () => {
  let server: dgram.Socket | null = null
  let prober: UdpProber | null = null
  afterEach(() => {
    prober?.close()
    server?.close()
    server = prober = null
  })

  it('matches out-of-order replies by seq and counts late and duplicate ones apart', async () => {
    server = dgram.createSocket('udp4')
    server.bind(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address()
    const requests = new Map<number, { msg: Buffer; port: number }>()
    server.on('message', (msg, rinfo) =>
      requests.set(decodeEcho(msg)!.seq, { msg, port: rinfo.port }),
    )
    const echo = (seq: number) => {
      const r = requests.get(seq)!
      server!.send(r.msg, r.port, '127.0.0.1')
    }

    prober = new UdpProber('127.0.0.1', port, 4)
    const p0 = prober.probe(0, 400)
    const p1 = prober.probe(1, 150)
    const p2 = prober.probe(2, 400)
    while (requests.size < 3) await sleep(5)

    await sleep(30)
    echo(2)
    echo(0)
    echo(0) // duplicate
    // Foreign traffic: bad magic, and someone else's session with our seq.
    const r1 = requests.get(1)!
    server.send(Buffer.from('not an echo reply at all'), r1.port, '127.0.0.1')
    server.send(encodeEcho(0x12345678, 1, 0n), r1.port, '127.0.0.1')

    const [o0, o2] = await Promise.all([p0, p2])
    expect(o0.status).toBe('ok')
    expect(o2.status).toBe('ok')
    expect(o0.rtt_ms!).toBeGreaterThanOrEqual(30)
    expect(o0.rtt_ms!).toBeLessThan(200)
    const o1 = await p1
    expect(o1).toMatchObject({ status: 'timeout', rtt_ms: null })

    echo(1) // after its timeout: late, never an RTT
    echo(1) // and a copy of it: duplicate
    await sleep(50)
    expect(prober.counters).toEqual({ late: 1, duplicates: 2 })
  })

  it('counts an unanswered echo as a timeout (loss), not an error', async () => {
    prober = new UdpProber('127.0.0.1', 9, 4)
    // Nothing listens on port 9; the ICMP port unreachable is not seen by an unconnected socket.
    const o = await prober.probe(0, 50)
    expect(o.status).toBe('timeout')
  })
})
