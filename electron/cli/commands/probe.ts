import { stringify } from 'csv-stringify/sync'
import type { ProbeResult, ProbeSpec } from '../../../common/probes'
import { ProbeClient } from '../../engine/probes/client'
import { statsToCsvRows, statsToJson, statsToTableRows } from '../../engine/probes/format'
import { ProbeAccumulator } from '../../engine/probes/stats'
import { ProbeTargetError, parseProbeTarget } from '../../engine/probes/target'
import { intOption, parseCommandArgs } from '../args'
import { CliError, UsageError, type Command } from '../io'
import { renderTable } from '../table'

const usage = `Usage: flowscope probe TARGET... [--count N] [--interval MS] [--timeout MS] [--format table|json|csv]

Measures latency, jitter and loss with active probes, one schedule per target:
  icmp://HOST                         ICMP / ICMPv6 echo (raw socket, or ping socket)
  tcp://HOST:PORT                     TCP connect time
  udp://HOST:PORT                     UDP echo (RFC 862), matched by sequence number
  dns://SERVER[:PORT]/NAME[?type=A]   DNS query time against SERVER
  http://URL, https://URL             phases: dns, connect, tls, ttfb, total

Options:
  --count N        probes per target (default 10)
  --interval MS    time between probes of a target (default 1000)
  --timeout MS     a probe without reply by then is lost (default 1000)
  --format F       table (live on a terminal, like mtr), json or csv (default table)

Jitter is mtr's: mean and max of |RTT(n) - RTT(n-1)| over consecutive replies, plus the
RFC 3550 estimator. An unreachable target is 100 % loss, not an error. Ctrl-C ends early and
prints what was measured.`

const FORMATS = ['table', 'json', 'csv'] as const

export const probeCommand: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'probe',
      args,
      {
        count: { type: 'string' },
        interval: { type: 'string' },
        timeout: { type: 'string' },
        format: { type: 'string', default: 'table' },
      },
      true,
    )
    const format = values.format as (typeof FORMATS)[number]
    if (!FORMATS.includes(format))
      throw new UsageError(`probe: --format must be table, json or csv, got '${values.format}'`)
    const count = intOption('count', values.count, 10, 1, 10_000_000)
    const interval_ms = intOption('interval', values.interval, 1000, 1, 3_600_000)
    const timeout_ms = intOption('timeout', values.timeout, 1000, 1, 60_000)
    if (positionals.length === 0)
      throw new UsageError('probe: give at least one TARGET (see flowscope probe --help)')
    const targets = [...new Set(positionals)]
    const kinds = new Map<string, ReturnType<typeof parseProbeTarget>['kind']>()
    for (const t of targets) {
      try {
        kinds.set(t, parseProbeTarget(t).kind)
      } catch (err) {
        if (err instanceof ProbeTargetError) throw new UsageError(`probe: ${err.message}`)
        throw err
      }
    }

    const acc = new Map(targets.map((t) => [t, new ProbeAccumulator(t, kinds.get(t)!)]))
    const last = new Map<string, number | null>()
    const live = format === 'table' && io.stdout.isTTY === true
    let drawnLines = 0
    const table = () => {
      const { header, rows } = statsToTableRows(
        targets.map((t) => acc.get(t)!.run()),
        last,
      )
      return renderTable(header, rows)
    }
    const redraw = () => {
      const text = table()
      io.stdout.write((drawnLines ? `\x1b[${drawnLines}A\x1b[J` : '') + text)
      drawnLines = text.split('\n').length - 1
    }

    const specs: ProbeSpec[] = targets.map((target) => ({ target, interval_ms, timeout_ms, count }))
    const client = new ProbeClient()
    let fatal: string | null = null
    const finished = new Promise<void>((resolve) => {
      client.on('results', (results: ProbeResult[], counters) => {
        for (const r of results) {
          acc.get(r.target)?.add(r)
          last.set(r.target, r.rtt_ms)
        }
        for (const [t, c] of Object.entries(counters)) {
          const a = acc.get(t)
          if (a) a.counters = c
        }
      })
      client.on('fatal', (target, _code, message) => {
        fatal = target === '*' ? message : `${target}: ${message}`
        client.kill()
        resolve()
      })
      client.on('done', () => resolve())
      client.on('exit', () => resolve())
    })
    const onAbort = () => {
      client.stop()
      // A worker that does not wind down in time is ended; what was measured is still printed.
      setTimeout(() => client.kill(), timeout_ms + 500).unref()
    }
    io.signal.addEventListener('abort', onAbort, { once: true })
    const ticker = live ? setInterval(redraw, 250) : null
    if (live) redraw()
    client.start(specs)
    try {
      await finished
    } finally {
      if (ticker) clearInterval(ticker)
      io.signal.removeEventListener('abort', onAbort)
    }
    if (fatal) throw new CliError(`probe: ${fatal}`)

    const stats = targets.map((t) => acc.get(t)!.run())
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify(stats.map(statsToJson), null, 2)}\n`)
    } else if (format === 'csv') {
      const { header, rows } = statsToCsvRows(stats)
      io.stdout.write(stringify([header, ...rows]))
    } else if (live) {
      redraw()
    } else {
      io.stdout.write(table())
    }
    return 0
  },
}
