'use strict'
// Child process for crash.test.ts: records continuously through the built store (out/main/store.js)
// and prints "committed N" after every batch the writer committed, until it is killed.
const path = require('node:path')
const fs = require('node:fs')
const store = require(path.join(__dirname, '..', '..', '..', 'out', 'main', 'store.js'))

// mode 'explicit': add BATCH rows, flush, log, repeat. mode 'timer': add BATCH rows per event
// loop turn and let the writer's own 50 ms timer commit; log the committed count as it grows
// (a logged count is always at most what is on disk).
const [dbPath, batchArg, mode = 'explicit'] = process.argv.slice(2)
const BATCH = Number(batchArg)
const TIMER = mode === 'timer'
const db = store.openHistoryDb(dbPath)
const writer = new store.HistoryWriter(db, dbPath, {
  flush_ms: TIMER ? 50 : 0,
  max_rows: 1e9,
})
const t0_us = 1_790_000_000_000_000
let n = 0

function batch() {
  // Every row is its own (bucket, conversation), 1 packet each: rows in the db = packets.
  for (let i = 0; i < BATCH; i++, n++) {
    const time_us = t0_us + Math.floor(n / 100) * 10e6
    writer.addConversation({
      time_us,
      protocol: 'udp',
      address_a: `10.1.${Math.floor((n % 100) / 250)}.${n % 100}`,
      port_a: 5000,
      address_b: '10.2.0.1',
      port_b: 53,
      packets_a_to_b: 1,
      bytes_a_to_b: 80,
      packets_b_to_a: 0,
      bytes_b_to_a: 0,
      retransmissions: 0,
      first_seen_us: time_us,
      last_seen_us: time_us,
      handshake_rtt_ms: null,
    })
  }
  if (TIMER) {
    setTimeout(batch, 5)
    return
  }
  if (!writer.flush()) {
    fs.writeSync(2, `failed ${JSON.stringify(writer.failure)}\n`)
    process.exit(3)
  }
  fs.writeSync(1, `committed ${writer.committed_rows}\n`)
  setImmediate(batch)
}
if (TIMER) {
  let logged = 0
  writer.onFailure((f) => {
    fs.writeSync(2, `failed ${JSON.stringify(f)}\n`)
    process.exit(3)
  })
  setInterval(() => {
    if (writer.committed_rows !== logged) {
      logged = writer.committed_rows
      fs.writeSync(1, `committed ${logged}\n`)
    }
  }, 1)
}
batch()
