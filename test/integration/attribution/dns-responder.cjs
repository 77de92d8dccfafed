// A PTR responder for who-history.test.ts, run inside a namespace:
//   node dns-responder.cjs HOST PORT DELAY_MS ADDRESS=NAME[@slow] ...
// Answers each ADDRESS's reverse name with NAME (after DELAY_MS when marked @slow), NXDOMAIN
// otherwise. Prints "ready", then "query NAME" and "answer NAME" lines as they happen.
const { createSocket } = require('node:dgram')
const dnsPacket = require('dns-packet')

const [host, port, delayMs, ...pairs] = process.argv.slice(2)
const arpa = (address) =>
  address.includes(':') ? null : `${address.split('.').reverse().join('.')}.in-addr.arpa`
const names = new Map()
for (const p of pairs) {
  const [address, rest] = p.split('=')
  const [name, slow] = rest.split('@')
  names.set(arpa(address), { name, slow: slow === 'slow' })
}
const s = createSocket(host.includes(':') ? 'udp6' : 'udp4')
s.on('message', (msg, rinfo) => {
  let q
  try {
    q = dnsPacket.decode(msg)
  } catch {
    return
  }
  const qname = q.questions?.[0]?.name ?? ''
  process.stdout.write(`query ${qname}\n`)
  const hit = names.get(qname)
  const reply = dnsPacket.encode({
    id: q.id,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (hit ? 0 : 3),
    questions: q.questions,
    answers: hit ? [{ type: 'PTR', name: qname, ttl: 60, data: hit.name }] : [],
  })
  setTimeout(
    () => {
      s.send(reply, rinfo.port, rinfo.address)
      process.stdout.write(`answer ${qname}\n`)
    },
    hit?.slow ? Number(delayMs) : 0,
  )
})
s.bind(Number(port), host, () => process.stdout.write('ready\n'))
