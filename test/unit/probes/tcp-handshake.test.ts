import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findAddon, type TcpInfo } from '../../../electron/workers/probe/icmp-addon'
import { handshakeRttMs } from '../../../electron/workers/probe/tcp-handshake'

const noAddon =
  process.platform !== 'linux'
    ? 'TCP_INFO is read on Linux only'
    : findAddon()
      ? null
      : 'the fsp_icmp addon is not built (npm run build:native)'
if (noAddon) console.warn(`skipping the real TCP_INFO read: ${noAddon}`)

const info = (over: Partial<TcpInfo>): TcpInfo => ({
  state: 1,
  rtt_us: 42,
  rttvar_us: 21,
  total_retrans: 0,
  ...over,
})

describe('handshakeRttMs', () => {
  let server: Server
  let socket: Socket
  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => {}))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    socket = connect(port, '127.0.0.1')
    await new Promise((r) => socket.once('connect', r))
  })
  afterAll(() => {
    socket.destroy()
    server.close()
  })

  it("asks the kernel about the socket's own descriptor and gives ms", () => {
    const fds: number[] = []
    const rtt = handshakeRttMs(socket, () => ({
      tcpInfo: (fd) => (fds.push(fd), info({ rtt_us: 1234 })),
    }))
    expect(rtt).toBe(1.234)
    expect(fds).toHaveLength(1)
    expect(fds[0]).toBeGreaterThan(2)
  })

  it('leaves the timing to the caller when the kernel has no clean sample', () => {
    const answer = (i: Partial<TcpInfo>) =>
      handshakeRttMs(socket, () => ({ tcpInfo: () => info(i) }))
    expect(answer({ total_retrans: 1 })).toBeNull() // a SYN went twice: the wait counts
    expect(answer({ rtt_us: 0 })).toBeNull()
  })

  it('leaves it to the caller without the addon, a descriptor, or when the call fails', () => {
    expect(handshakeRttMs(socket, () => null)).toBeNull()
    const unopened = new (socket.constructor as typeof Socket)()
    expect(handshakeRttMs(unopened, () => ({ tcpInfo: () => info({}) }))).toBeNull()
    const failing = () => ({
      tcpInfo: (): TcpInfo => {
        throw Object.assign(new Error('getsockopt(TCP_INFO): Bad file descriptor'), {
          code: 'EBADF',
        })
      },
    })
    expect(handshakeRttMs(socket, failing)).toBeNull()
  })

  it.skipIf(noAddon !== null)('reads a real loopback handshake with the addon', () => {
    const rtt = handshakeRttMs(socket)
    expect(rtt).not.toBeNull()
    expect(rtt!).toBeGreaterThan(0)
    expect(rtt!).toBeLessThan(5) // loopback: tens of µs
  })
})
