/**
 * A Connections view per client on one real `flowscope serve` (the built CLI) capturing real UDP
 * traffic between two network namespaces. Three WebSocket clients (each its own process in the
 * server's namespace): one sorts by 2 s rate, descending, 5 rows; one filters to the finite flow
 * to port 7200; one never sets a view. Each client's ticks carry only its own rows, consistent
 * with its view (the finite flow's packets equal what the sender sent, the sink received and
 * tcpdump saw); the third gets no `view`. When the first client disconnects, the capture worker
 * stops computing its view: read from a preload (worker-log.cjs) that logs, in the worker, the
 * view sets it receives and the client ids of each tick's rows.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_VIEW, type ConnectionsView, type ViewResult } from '../../../common/capture'
import { Netns } from '../../support/netns'
import { CLI, unavailable, WORKER } from '../capture/helpers'

const skip =
  unavailable({ root: true, tools: ['ip', 'ethtool', 'tcpdump'] }) ??
  (existsSync(WORKER) ? null : 'not built: run `npx electron-vite build` first')
if (skip) console.warn(`server/client-views.test.ts skipped: ${skip}`)

const HERE = __dirname
const net = new Netns('fpv', '10.213.0', 'fdd3')
const COUNT = 40
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const children: ChildProcess[] = []
let dir = ''

/** A process in a namespace; its stdout lines as they arrive. */
function run(ns: string, cmd: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })
  children.push(child)
  const lines: string[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l))
  return { child, lines }
}

async function until<T>(what: string, get: () => T | undefined, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = get()
    if (v !== undefined && v !== false) return v
    await sleep(100)
  }
  throw new Error(`gave up waiting for ${what}`)
}

interface Tick {
  iface: string
  view?: ViewResult
  [k: string]: unknown
}

/** A WebSocket client of serve in its own process (ws-client.cjs). */
function wsClient(url: string) {
  const p = run(net.a, [process.execPath, join(HERE, 'ws-client.cjs'), url])
  let id = 0
  const messages = () =>
    p.lines.map(
      (l) =>
        JSON.parse(l) as {
          kind: string
          event?: string
          id?: number
          payload?: Tick
          result?: { ok: boolean }
        },
    )
  return {
    child: p.child,
    ticks: (): Tick[] =>
      messages()
        .filter((m) => m.kind === 'event' && m.event === 'capture.tick')
        .map((m) => m.payload!),
    open: () => until('the WebSocket to open', () => messages().some((m) => m.kind === 'open')),
    async call(method: string, params: unknown) {
      const n = ++id
      p.child.stdin!.write(`${JSON.stringify({ id: n, method, params })}\n`)
      return until(
        `the answer to ${method}`,
        () => messages().find((m) => m.kind === 'response' && m.id === n)?.result,
      )
    },
    close: () => p.child.stdin!.end(),
  }
}

interface LogLine {
  at: number
  type: 'start' | 'view' | 'tick'
  views: Record<string, ConnectionsView> | string[]
  to?: string[] | null
}
const workerLog = (): LogLine[] =>
  existsSync(join(dir, 'worker.log'))
    ? readFileSync(join(dir, 'worker.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogLine)
    : []

const view = (v: Partial<ConnectionsView>): ConnectionsView => ({ ...DEFAULT_VIEW, ...v })
const rate2 = (r: ViewResult['rows'][number]) => r.rate_a_to_b_bps.s2 + r.rate_b_to_a_bps.s2

beforeAll(() => {
  if (skip) return
  dir = mkdtempSync(join(tmpdir(), 'fpv-'))
  net.create()
})
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  net.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(skip !== null)('serve: each client its own Connections view', () => {
  it('sends each client only its rows, none to one without a view, and forgets a closed one', async () => {
    const serve = run(net.a, [process.execPath, CLI, 'serve', '--port', '0', '--no-store'], {
      NODE_OPTIONS: `--require ${resolve(HERE, 'worker-log.cjs')}`,
      FLOWSCOPE_TEST_WORKER_LOG: join(dir, 'worker.log'),
      FLOWSCOPE_METRICS_TOKEN: '',
    })
    const url = await until('serve to print its URL', () =>
      serve.lines.map((l) => /serving at (http:\/\/\S+)/.exec(l)?.[1]).find(Boolean),
    )
    const [ranked, filtered, plain] = [wsClient(url), wsClient(url), wsClient(url)]
    await Promise.all([ranked.open(), filtered.open(), plain.open()])

    expect(await ranked.call('capture.start', { iface: net.vethA, resolve: false })).toMatchObject({
      ok: true,
    })
    const top5 = view({ sort: 'rate2', descending: true, limit: 5 })
    const only7200 = view({ filter: `${net.addrB}:7200`, sort: 'b', descending: false })
    expect(await ranked.call('capture.view', top5)).toEqual({ ok: true, value: { ok: true } })
    expect(await filtered.call('capture.view', only7200)).toEqual({ ok: true, value: { ok: true } })

    const sink = run(net.b, [process.execPath, join(HERE, 'udp-traffic.cjs'), 'sink'])
    await until('the sink', () => sink.lines.includes('ready'))
    const dump = run(net.b, ['tcpdump', '-i', net.vethB, '-n', '-l', 'udp and dst port 7200'])
    await sleep(1000) // tcpdump attaches its filter
    const sender = run(net.a, [
      process.execPath,
      join(HERE, 'udp-traffic.cjs'),
      'send',
      net.addrB,
      String(COUNT),
    ])
    await until('the finite flow to be sent', () => sender.lines.includes(`sent ${COUNT}`))
    await until('the sink to get it', () => sink.lines.includes(`got ${COUNT}`))
    await sleep(3000) // the steady flows' 2 s rates settle; the finite one is over
    const seen = dump.lines.filter((l) => / > 10\.213\.0\.2\.7200: UDP/.test(l)).length
    console.log(`port 7200: sent ${COUNT}, sink got ${COUNT}, tcpdump saw ${seen}`)
    expect(seen).toBe(COUNT)

    // Four consecutive ticks of each client from now on.
    const from = [ranked, filtered, plain].map((c) => c.ticks().length)
    await until('4 more ticks for each client', () =>
      [ranked, filtered, plain].every((c, i) => c.ticks().length >= from[i]! + 4),
    )
    const recent = [ranked, filtered, plain].map((c, i) => c.ticks().slice(from[i]!, from[i]! + 4))
    for (const t of recent[0]!) {
      const v = t.view!
      expect(v.rows).toHaveLength(5)
      expect(v.matched).toBe(v.flows) // no filter: every conversation
      const rates = v.rows.map(rate2)
      expect(rates).toEqual([...rates].sort((x, y) => y - x))
      expect(v.rows.map((r) => r.port_b)).toEqual([7108, 7107, 7106, 7105, 7104])
    }
    console.log(
      `ranked: ${recent[0]!.map((t) => t.view!.rows.map((r) => `${r.port_b}@${rate2(r)}`).join(' ')).join(' | ')}`,
    )
    for (const t of recent[1]!) {
      expect(t.view).toMatchObject({ matched: 1 })
      expect(t.view!.rows).toHaveLength(1)
      expect(t.view!.rows[0]).toMatchObject({
        a: net.addrA,
        port_a: 6200,
        b: net.addrB,
        port_b: 7200,
        packets_a_to_b: COUNT,
        packets_b_to_a: 0,
      })
    }
    // Over the whole run: never the other client's rows (the ranked view has no filter, the
    // filtered one matches one conversation at most), and nothing for the client without a view.
    for (const t of ranked.ticks().filter((t) => t.view)) {
      expect(t.view!.rows.length).toBeLessThanOrEqual(5)
      expect(t.view!.matched).toBe(t.view!.flows)
    }
    for (const t of filtered.ticks().filter((t) => t.view)) {
      expect(t.view!.matched).toBeLessThanOrEqual(1)
      expect(t.view!.rows.every((r) => r.port_b === 7200)).toBe(true)
    }
    expect(plain.ticks().length).toBeGreaterThanOrEqual(4)
    for (const t of [...plain.ticks(), ...ranked.ticks(), ...filtered.ticks()]) {
      expect(t).not.toHaveProperty('views')
      expect(t).not.toHaveProperty('to')
    }
    expect(plain.ticks().some((t) => 'view' in t)).toBe(false)

    // In the worker: both views, by the clients' ids; each periodic tick computed both.
    const sets = workerLog().filter((l) => l.type === 'view' || l.type === 'start')
    const both = sets.at(-1)!.views as Record<string, ConnectionsView>
    const idOf = (v: ConnectionsView) =>
      Object.keys(both).find((id) => both[id]!.sort === v.sort && both[id]!.filter === v.filter)!
    const [idRanked, idFiltered] = [idOf(top5), idOf(only7200)]
    expect(Object.keys(both).sort()).toEqual([idRanked, idFiltered].sort())
    const periodic = workerLog().filter((l) => l.type === 'tick' && l.to === null)
    expect((periodic.at(-1)!.views as string[]).sort()).toEqual([idRanked, idFiltered].sort())
    // The filtered client's new view was answered early, by a tick for the clients waiting (the
    // ranked one too when both views came within the worker's 50 ms).
    const early = workerLog().flatMap((l) =>
      l.type === 'tick' && l.to?.includes(idFiltered) ? [l.to] : [],
    )
    expect(early.length).toBeGreaterThan(0)
    for (const to of early)
      expect(to.every((id) => id === idRanked || id === idFiltered)).toBe(true)

    // The ranked client goes away: its view leaves the worker, which computes only the other.
    const gone = Date.now()
    ranked.close()
    await until('the worker to be told', () =>
      workerLog().find(
        (l) => l.type === 'view' && l.at >= gone && !(idRanked in (l.views as object)),
      ),
    )
    const told = workerLog().find((l) => l.type === 'view' && l.at >= gone)!
    expect(Object.keys(told.views)).toEqual([idFiltered])
    const fromF = filtered.ticks().length
    await until('2 more periodic ticks', () =>
      workerLog().filter((l) => l.type === 'tick' && l.to === null && l.at > told.at).length >= 2
        ? true
        : undefined,
    )
    for (const l of workerLog().filter((l) => l.type === 'tick' && l.at > told.at))
      expect(l.views).toEqual([idFiltered])
    await until('the filtered client to go on', () => filtered.ticks().length > fromF)
    expect(filtered.ticks().at(-1)!.view).toMatchObject({ matched: 1 })

    filtered.close()
    plain.close()
    serve.child.kill('SIGINT')
    await new Promise((r) => serve.child.once('exit', r))
  }, 90_000)
})
