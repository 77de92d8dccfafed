'use strict'
// One WebSocket client of `flowscope serve`, run inside the server's network namespace by
// client-views.test.ts: requests arrive on stdin as JSON lines ({ id, method, params }), every
// message from the server goes to stdout as one JSON line; stdin closing closes the socket.
const { createInterface } = require('node:readline')
const { WebSocket: WsClient } = require('ws')

const url = new URL(process.argv[2])
const ws = new WsClient(`ws://${url.host}/api/ws?token=${url.searchParams.get('token')}`, {
  headers: { origin: url.origin },
})
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)
ws.on('open', () => out({ kind: 'open' }))
ws.on('message', (d) => process.stdout.write(`${String(d)}\n`))
ws.on('error', (e) => out({ kind: 'error', message: e.message }))
ws.on('close', () => process.exit(0))
createInterface({ input: process.stdin })
  .on('line', (l) => ws.readyState === ws.OPEN && ws.send(l))
  .on('close', () => ws.close())
