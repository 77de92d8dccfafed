'use strict'
// Known UDP traffic for client-views.test.ts, between two namespaces.
//   send <dst> <count>: steady flows from source port 6100+k to port 7100+k (k = 1..8), k
//     datagrams of 200 bytes every 50 ms each (rates in the ratio 1:2:...:8), and one finite
//     flow 6200 -> 7200 of exactly <count> datagrams, one every 20 ms; prints "sent <n>" once
//     all of those went out.
//   sink: receives on ports 7101..7108 and 7200 (so no port-unreachable ICMP joins the table);
//     prints "got <n>" for each datagram that arrives on 7200.
const dgram = require('node:dgram')

const [mode, dst, countArg] = process.argv.slice(2)
const bound = (port, address) =>
  new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.bind(port, address, () => resolve(s))
  })

async function send() {
  const COUNT = Number(countArg)
  const payload = Buffer.alloc(200, 0x61)
  const steady = []
  for (let k = 1; k <= 8; k++) steady.push({ k, sock: await bound(6100 + k) })
  setInterval(() => {
    for (const { k, sock } of steady) for (let i = 0; i < k; i++) sock.send(payload, 7100 + k, dst)
  }, 50)
  const finite = await bound(6200)
  let issued = 0
  let sent = 0
  const timer = setInterval(() => {
    if (++issued === COUNT) clearInterval(timer)
    finite.send(payload, 7200, dst, (err) => {
      if (err) process.stdout.write(`error ${err.message}\n`)
      else if (++sent === COUNT) process.stdout.write(`sent ${sent}\n`)
    })
  }, 20)
}

async function sink() {
  for (let k = 1; k <= 8; k++) await bound(7100 + k)
  let got = 0
  const s = await bound(7200)
  s.on('message', () => process.stdout.write(`got ${++got}\n`))
  process.stdout.write('ready\n')
}

void (mode === 'sink' ? sink() : send())
