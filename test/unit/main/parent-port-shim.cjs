// Gives a worker thread the `process.parentPort` of an Electron utility process, so the built
// engine host (out/main/engine.js) runs under plain Node in tests. Messages arrive as
// { data, ports } with MessagePortMain-like ports, as in Electron.
const { parentPort } = require('node:worker_threads')

function wrap(port) {
  return {
    postMessage: (m) => port.postMessage(m),
    on(event, listener) {
      if (event === 'message') port.on('message', (data) => listener({ data, ports: [] }))
      else port.on(event, listener)
      return this
    },
    start: () => port.start(),
    close: () => port.close(),
  }
}

process.parentPort = {
  postMessage: (m) => parentPort.postMessage(m),
  on(event, listener) {
    if (event === 'message')
      parentPort.on('message', (v) => listener({ data: v.data, ports: (v.ports || []).map(wrap) }))
    return this
  },
}
