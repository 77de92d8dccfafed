/** The port handshake: only our window's main frame, showing our renderer, gets a port. */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { IpcChannel } from '../../../common/channels'
import * as fake from './electron-fake'

vi.mock('electron', () => import('./electron-fake'))
const { setupIpc } = await import('../../../electron/main/ipc')

const OURS = 'file:///app/out/renderer/index.html'
const trusted = (url: string) => url.split('#')[0] === OURS

function setup(running = true) {
  const connected: Array<{ name: string; port: fake.MainPort }> = []
  const engine = {
    connect: (name: string, port: unknown) => {
      if (!running) return false
      connected.push({ name, port: port as fake.MainPort })
      return true
    },
  }
  const ipc = setupIpc(engine as never, trusted)
  return { ipc, connected }
}

/** The preload of `wc` (or a frame in it) asks for a port. */
function ask(wc: fake.WebContents, frame: fake.WebFrameMain | null = wc.mainFrame) {
  fake.ipcMain.emit(IpcChannel.connect, { sender: wc, senderFrame: frame })
}

beforeEach(() => fake.resetFake('/nonexistent'))

describe('port handshake', () => {
  it('hands our main frame one end and the engine host the other end of one channel', async () => {
    const { ipc, connected } = setup()
    const wc = new fake.WebContents(OURS)
    ipc.register(wc as never)
    ask(wc)
    expect(connected).toHaveLength(1)
    expect(wc.mainFrame.posted).toHaveLength(1)
    const { channel, ports } = wc.mainFrame.posted[0]!
    expect(channel).toBe(IpcChannel.port)
    // The two ends belong to the same channel: what the renderer posts reaches the engine's end.
    const got = new Promise((resolve) => connected[0]!.port.once('message', (e) => resolve(e.data)))
    connected[0]!.port.start()
    ports[0]!.postMessage({ id: 1, method: 'app.info', params: {} })
    expect(await got).toEqual({ id: 1, method: 'app.info', params: {} })
    ports[0]!.close()
  })

  it('refuses an iframe, a foreign URL, an unregistered window and a destroyed one', () => {
    const { ipc, connected } = setup()
    const wc = new fake.WebContents(OURS)
    ipc.register(wc as never)
    ask(wc, new fake.WebFrameMain(OURS, wc.mainFrame)) // a subframe, even with our URL
    ask(wc, new fake.WebFrameMain(OURS)) // another window's main frame
    ask(wc, null)
    const foreign = new fake.WebContents('https://evil.example/')
    ipc.register(foreign as never)
    ask(foreign)
    const stranger = new fake.WebContents(OURS) // never registered
    ask(stranger)
    const navigated = new fake.WebContents(OURS)
    ipc.register(navigated as never)
    navigated.mainFrame.url = 'file:///tmp/other.html'
    ask(navigated)
    expect(connected).toHaveLength(0)
    for (const w of [wc, foreign, stranger, navigated]) expect(w.mainFrame.posted).toHaveLength(0)
    // A window that is gone is forgotten.
    wc.emit('destroyed')
    ask(wc)
    expect(connected).toHaveLength(0)
  })

  it('sends no port while the engine host is down, and reconnects every window when it is back', () => {
    let running = false
    const connected: unknown[] = []
    const ipc = setupIpc(
      {
        connect: (_n: string, p: unknown) => (running ? (connected.push(p), true) : false),
      } as never,
      trusted,
    )
    const a = new fake.WebContents(OURS)
    const b = new fake.WebContents(OURS)
    ipc.register(a as never)
    ipc.register(b as never)
    ask(a)
    expect(a.mainFrame.posted).toHaveLength(0)
    // The unused end was closed, not leaked.
    expect(fake.state.channels[0]!.port2.closed).toBe(true)
    running = true
    ipc.reconnectAll()
    expect(a.mainFrame.posted).toHaveLength(1)
    expect(b.mainFrame.posted).toHaveLength(1)
    expect(connected).toHaveLength(2)
    for (const c of fake.state.channels) {
      c.port1.close()
      c.port2.close()
    }
  })
})
