'use strict'
// Test instrumentation, preloaded with NODE_OPTIONS=--require into a `flowscope serve` under
// test: in the capture worker only (out/main/capture.js, forked with an IPC channel), appends to
// $FLOWSCOPE_TEST_WORKER_LOG one JSON line per view set it receives and per tick it sends (the
// client ids it computed rows for). It observes; it changes nothing.
const fs = require('node:fs')

const file = process.env.FLOWSCOPE_TEST_WORKER_LOG
if (file && typeof process.send === 'function' && /capture\.js$/.test(process.argv[1] || '')) {
  const log = (o) => fs.appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...o })}\n`)
  const send = process.send.bind(process)
  process.send = (m, ...rest) => {
    if (m && m.type === 'tick')
      log({ type: 'tick', views: Object.keys(m.views || {}), to: m.to || null })
    return send(m, ...rest)
  }
  process.on('message', (m) => {
    if (m && (m.type === 'view' || m.type === 'start')) log({ type: m.type, views: m.views || {} })
  })
}
