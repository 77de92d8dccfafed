/**
 * A real Prometheus (Debian's package) scrapes `flowscope serve --metrics` every second, on
 * loopback, with its own temporary storage. Checked through Prometheus's HTTP API:
 *
 * - interface byte counters: every raw sample Prometheus stored for `lo` lies between two reads
 *   of /proc/<serve pid>/net/dev (the serve's own namespace) taken by this test around the
 *   moment the Monitor read its counters (flowscope_network_read_timestamp_seconds, same
 *   scrape), while this test pushes UDP traffic through loopback; the gap between a sample and
 *   /proc at the sample's own timestamp is printed next to what one scrape interval of traffic
 *   carries.
 * - a probe's loss: a UDP echo responder here answers 3 datagrams of every 4. After the probes
 *   stop, Prometheus's sent / received counters equal the responder's own counts exactly, and
 *   the window's flowscope_probe_loss_ratio was 0.25 within the window's in-flight slack.
 * - an alert rule from `--rules` fired and is seen as flowscope_alert_firing; `report --kind
 *   alerts` lists its firing and its clearing (probes stopped).
 * - `promtool check metrics` accepts the live exposition.
 * No timed assertion: waits are for Prometheus to hold a sample after a given moment.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { hasCommand } from '../../support/netns'

const PROMETHEUS = '/usr/bin/prometheus'
const built = existsSync('out/main/cli.js') && existsSync('out/renderer/index.html')
const reason = !existsSync(PROMETHEUS)
  ? `${PROMETHEUS} is not installed (bash scripts/setup-system.sh)`
  : !hasCommand('promtool')
    ? 'promtool is not installed'
    : !built
      ? 'not built: run `npx electron-vite build` first'
      : null
if (reason) console.warn(`skipping the Prometheus scrape test: ${reason}`)

const SCRAPE_S = 1
const TICK_MS = 1000

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until `get` returns a value (not undefined), at most `tries` times. */
async function until<T>(what: string, get: () => Promise<T | undefined>, tries = 120): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await get()
    if (v !== undefined) return v
    await sleep(250)
  }
  throw new Error(`gave up waiting for ${what}`)
}

interface ProcRead {
  start_ms: number
  end_ms: number
  rx: number
  tx: number
}

function readLo(pid: number): { rx: number; tx: number } {
  const line = readFileSync(`/proc/${pid}/net/dev`, 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('lo:'))!
  const f = line.split(':')[1]!.trim().split(/\s+/).map(Number)
  return { rx: f[0]!, tx: f[8]! }
}

describe.skipIf(reason !== null)('Prometheus scrapes flowscope serve --metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-prom-'))
  const db = join(dir, 'history.db')
  let serve: ChildProcess
  let prom: ChildProcess
  let servePort = 0
  let promPort = 0
  let token = ''
  let responder: Socket
  const answered = { received: 0, answered: 0 }

  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${promPort}${path}`)
    const body = (await res.json()) as { status: string; data: unknown; error?: string }
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`)
    return body.data
  }
  /** Raw samples of a selector over the last `range` (a range-vector instant query). */
  const raw = async (selector: string, range = '5m') =>
    (await api(`/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}`)) as {
      result: { metric: Record<string, string>; values: [number, string][] }[]
    }
  const instant = async (expr: string) =>
    (
      (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as {
        result: { metric: Record<string, string>; value: [number, string] }[]
      }
    ).result
  /** Resolves once Prometheus holds a sample of `selector` stamped after `after_ms`. */
  const scrapedAfter = (selector: string, after_ms: number) =>
    until(`a scrape after ${new Date(after_ms).toISOString()}`, async () => {
      const r = await raw(selector, '30s')
      const last = r.result[0]?.values.at(-1)
      return last && last[0] * 1000 > after_ms ? last : undefined
    })

  beforeAll(async () => {
    // UDP echo that answers 3 of every 4 datagrams (drops the 4th, 8th, ...): loss is exactly 25 %.
    responder = createSocket('udp4')
    responder.on('message', (msg, rinfo) => {
      answered.received++
      if (answered.received % 4 === 0) return
      answered.answered++
      responder.send(msg, rinfo.port, rinfo.address)
    })
    await new Promise<void>((r) => responder.bind(0, '127.0.0.1', r))
    const echoPort = responder.address().port

    writeFileSync(
      join(dir, 'rules.yml'),
      `rules:\n  - name: lossy probe\n    metric: probe_loss_percent\n    match: { kind: udp }\n    above: 10\n    for: 2s\n    severity: critical\n`,
    )
    serve = spawn(process.execPath, [
      'bin/flowscope.cjs',
      'serve',
      '--port',
      '0',
      '--db',
      db,
      '--metrics',
      '--rules',
      join(dir, 'rules.yml'),
    ])
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      serve.stdout!.on('data', (d) => {
        out += d
        const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))/.exec(out)
        if (m && out.includes('/metrics')) {
          servePort = Number(m[2])
          token = m[3]!
          resolve(m[1]!)
        }
      })
      serve.stderr!.on('data', (d) => process.stderr.write(d))
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
    })
    expect(url).toContain(`:${servePort}/`)

    promPort = await freePort()
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${SCRAPE_S}s`,
        `  scrape_timeout: ${SCRAPE_S}s`,
        'scrape_configs:',
        '  - job_name: flowscope',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${servePort}']`,
        '',
      ].join('\n'),
    )
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let promErr = ''
    prom.stderr!.on('data', (d) => (promErr += d))
    await until('Prometheus to be ready', async () => {
      const ok = await fetch(`http://127.0.0.1:${promPort}/-/ready`)
        .then((r) => r.ok)
        .catch(() => false)
      if (prom.exitCode !== null) throw new Error(`prometheus exited: ${promErr}`)
      return ok || undefined
    })

    // Prometheus applies new targets in batches a few seconds apart: wait for its first scrape.
    await until('the first scrape', async () =>
      (await instant('up{job="flowscope"} == 1')).length > 0 ? true : undefined,
    )

    // Start probing the responder through the contract, as the UI does.
    const ws = new WebSocket(`ws://127.0.0.1:${servePort}/api/ws?token=${token}`, {
      headers: { origin: `http://127.0.0.1:${servePort}` },
    })
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    const call = (method: string, params: unknown) =>
      new Promise<{ ok: boolean }>((resolve) => {
        const id = Math.floor(Math.random() * 1e9)
        const onMsg = (data: WebSocket.RawData) => {
          const m = JSON.parse(String(data)) as {
            kind: string
            id?: number
            result?: { ok: boolean }
          }
          if (m.kind === 'response' && m.id === id) {
            ws.off('message', onMsg)
            resolve(m.result!)
          }
        }
        ws.on('message', onMsg)
        ws.send(JSON.stringify({ id, method, params }))
      })
    ;(globalThis as { flowscopeCall?: typeof call }).flowscopeCall = call
    const started = await call('probes.start', {
      targets: [{ target: `udp://127.0.0.1:${echoPort}`, interval_ms: 50, timeout_ms: 300 }],
    })
    expect(started.ok).toBe(true)
  }, 60_000)

  afterAll(async () => {
    responder?.close()
    prom?.kill('SIGTERM')
    if (serve && serve.exitCode === null) {
      serve.kill('SIGINT')
      await new Promise((r) => serve.once('exit', r))
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('interface byte counters in Prometheus agree with /proc/net/dev', async () => {
    const pid = serve.pid!
    const reads: ProcRead[] = []
    const sample = () => {
      const start_ms = Date.now()
      const c = readLo(pid)
      reads.push({ start_ms, end_ms: Date.now(), ...c })
    }
    // ~4 s of UDP traffic through loopback (about 8 MB/s), sampling /proc every 10 ms.
    const sink = createSocket('udp4')
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r))
    const sender = createSocket('udp4')
    const payload = Buffer.alloc(8000, 0x5a)
    const from_ms = Date.now()
    sample()
    const sampler = setInterval(sample, 10)
    while (Date.now() - from_ms < 4000) {
      for (let i = 0; i < 10; i++) sender.send(payload, sink.address().port, '127.0.0.1')
      await sleep(10)
    }
    const trafficEnd_ms = Date.now()
    // Wait until Prometheus holds a scrape whose counters were read after the traffic ended.
    await until('counters read after the traffic', async () => {
      const r = await instant('flowscope_network_read_timestamp_seconds')
      return r[0] && Number(r[0].value[1]) * 1000 > trafficEnd_ms + 300 ? true : undefined
    })
    clearInterval(sampler)
    sample()
    sender.close()
    sink.close()

    const rx = (await raw('flowscope_network_receive_bytes_total{device="lo"}')).result[0]!.values
    const tx = (await raw('flowscope_network_transmit_bytes_total{device="lo"}')).result[0]!.values
    const readAt = new Map(
      (await raw('flowscope_network_read_timestamp_seconds')).result[0]!.values.map(([ts, v]) => [
        ts,
        Number(v) * 1000,
      ]),
    )
    console.log(
      `traffic ${new Date(from_ms).toISOString()} .. ${new Date(trafficEnd_ms).toISOString()}; samples: ${rx
        .map(([ts]) => new Date(ts * 1000).toISOString().slice(17, 23))
        .join(' ')}`,
    )
    const during = rx.filter(([ts]) => ts * 1000 >= from_ms && ts * 1000 <= trafficEnd_ms + 3000)
    expect(during.length).toBeGreaterThanOrEqual(3)
    const rate =
      (reads.at(-1)!.rx - reads[0]!.rx) / ((reads.at(-1)!.end_ms - reads[0]!.start_ms) / 1000)
    let worstGap = 0
    let checked = 0
    for (const [ts, value] of during) {
      const v = Number(value)
      const at = readAt.get(ts)
      expect(at, `read time of the scrape at ${ts}`).toBeDefined()
      // The Monitor read /proc at `at` (its clock is this machine's): the value lies between the
      // last read of ours that ended 20 ms before and the first that started 20 ms after (a
      // symmetric margin for scheduling; the issue asks for agreement within one 1 s scrape).
      const before = reads.filter((r) => r.end_ms <= at! - 20).at(-1)
      const after = reads.find((r) => r.start_ms >= at! + 20)
      if (!before || !after) continue
      expect(v).toBeGreaterThanOrEqual(before.rx)
      expect(v).toBeLessThanOrEqual(after.rx)
      const txv = Number(tx.find(([t]) => t === ts)![1])
      expect(txv).toBeGreaterThanOrEqual(before.tx)
      expect(txv).toBeLessThanOrEqual(after.tx)
      // Against /proc at the sample's own timestamp: the gap is at most one scrape interval of traffic.
      const atTs = reads.filter((r) => r.end_ms <= ts * 1000).at(-1)!
      worstGap = Math.max(worstGap, atTs.rx - v)
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(3)
    const oneScrape = rate * SCRAPE_S
    console.log(
      `prometheus vs /proc/net/dev (lo): ${checked} samples bracketed exactly; traffic ${(rate / 1e6).toFixed(2)} MB/s; ` +
        `worst lag behind /proc at the sample time ${worstGap} B = ${(worstGap / oneScrape).toFixed(2)} scrape intervals of traffic (Monitor tick ${TICK_MS} ms)`,
    )
  }, 60_000)

  it("a probe's loss ratio and counters, and the alert it fires", async () => {
    const lossSeen = await until('a loss ratio over a full window', async () => {
      const r = await instant('flowscope_probe_loss_ratio{kind="udp"}')
      const sent = await instant('flowscope_probe_sent_total{kind="udp"}')
      return r[0] && sent[0] && Number(sent[0].value[1]) >= 120 ? Number(r[0].value[1]) : undefined
    })
    const firing = await until('flowscope_alert_firing', async () => {
      const r = await instant('flowscope_alert_firing{alertname="lossy probe"}')
      return r[0]
    })
    expect(firing.metric).toMatchObject({ severity: 'critical', kind: 'udp', job: 'flowscope' })
    const call = (
      globalThis as { flowscopeCall?: (m: string, p: unknown) => Promise<{ ok: boolean }> }
    ).flowscopeCall!
    expect((await call('probes.stop', {})).ok).toBe(true)
    const stopped_ms = Date.now()
    await scrapedAfter('flowscope_probe_sent_total', stopped_ms + 200)
    const sent = Number((await instant('flowscope_probe_sent_total{kind="udp"}'))[0]!.value[1])
    const received = Number(
      (await instant('flowscope_probe_received_total{kind="udp"}'))[0]!.value[1],
    )
    console.log(
      `probe: responder got ${answered.received}, answered ${answered.answered}; Prometheus sent_total ${sent}, received_total ${received}, ` +
        `loss ${(1 - received / sent).toFixed(4)}; window loss_ratio ${lossSeen.toFixed(4)}`,
    )
    // Every probe reached the responder (loopback loses nothing), and each with an outcome was
    // counted once; stopping discards the probes still in flight: at most timeout / interval = 6.
    expect(sent).toBeLessThanOrEqual(answered.received)
    expect(answered.received - sent).toBeLessThanOrEqual(6)
    expect(received).toBeLessThanOrEqual(answered.answered)
    expect(answered.answered - received).toBeLessThanOrEqual(6)
    // No reply is ever lost or invented: the replies counted are 3 of every 4 probes counted,
    // up to the in-flight edge.
    expect(Math.abs(received - Math.round(sent * 0.75))).toBeLessThanOrEqual(6)
    // The window (60 probes) of a strict 1-in-4 pattern holds 15 losses, ±2 in flight at its edges.
    expect(Math.abs(lossSeen - 0.25)).toBeLessThanOrEqual(2 / 60 + 1e-9)
    // The alert resolved ("probes stopped") and left the exposition.
    await until('the alert to clear', async () =>
      (await instant('flowscope_alert_firing{alertname="lossy probe"}')).length === 0
        ? true
        : undefined,
    )
  }, 90_000)

  it('promtool check metrics accepts the live exposition', async () => {
    const text = await (await fetch(`http://127.0.0.1:${servePort}/metrics`)).text()
    expect(text).toContain('flowscope_probe_duration_seconds_bucket')
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('report --kind alerts lists the firing and its clearing', async () => {
    serve.kill('SIGINT')
    await new Promise((r) => serve.once('exit', r))
    const r = spawnSync(
      process.execPath,
      ['bin/flowscope.cjs', 'report', '--kind', 'alerts', '--db', db, '--format', 'json'],
      { encoding: 'utf8' },
    )
    expect(r.stderr).toBe('')
    const rows = JSON.parse(r.stdout) as {
      rule: string
      severity: string
      message: string
      value: number | null
    }[]
    const ours = rows.filter((x) => x.rule === 'lossy probe')
    expect(ours.map((x) => x.message.split(':')[0])).toEqual([
      'firing',
      'resolved (probes stopped)',
    ])
    expect(ours[0]!.severity).toBe('critical')
    expect(ours[0]!.value).toBeGreaterThan(10)
    expect(ours[1]!.value).toBeNull()
  }, 30_000)
})
