import { stringify } from 'csv-stringify/sync'
import type { ProbeSpec } from '../../../common/probes'
import { statsToCsvRows, statsToJson, statsToTableRows } from '../../engine/probes/format'
import { DEFAULT_MAX_PROBE_RATE, probeLimitError } from '../../engine/probes/limits'
import { ProbeSession, type ProbeFailure } from '../../engine/probes/session'
import { ProbeTargetError, parseProbeTarget } from '../../shared/probes/target'
import { intOption, parseCommandArgs } from '../args'
import { CliError, UsageError, type Command } from '../io'
import { renderTable } from '../table'

const usage = `Usage: flowscope probe TARGET... [--count N] [--interval MS] [--timeout MS] [--format table|json|csv]
                       [--max-rate N]

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
  --max-rate N     most probes per second over all targets (default ${DEFAULT_MAX_PROBE_RATE})

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
        'max-rate': { type: 'string' },
      },
      true,
    )
    const format = values.format as (typeof FORMATS)[number]
    if (!FORMATS.includes(format))
      throw new UsageError(`probe: --format must be table, json or csv, got '${values.format}'`)
    const count = intOption('count', values.count, 10, 1, 10_000_000)
    const interval_ms = intOption('interval', values.interval, 1000, 1, 3_600_000)
    const timeout_ms = intOption('timeout', values.timeout, 1000, 1, 60_000)
    const maxRate = intOption('max-rate', values['max-rate'], DEFAULT_MAX_PROBE_RATE, 1, 1_000_000)
    if (positionals.length === 0)
      throw new UsageError('probe: give at least one TARGET (see flowscope probe --help)')
    const targets = [...new Set(positionals)]
    for (const t of targets) {
      try {
        parseProbeTarget(t)
      } catch (err) {
        if (err instanceof ProbeTargetError) throw new UsageError(`probe: ${err.message}`)
        throw err
      }
    }

    const specs: ProbeSpec[] = targets.map((target) => ({ target, interval_ms, timeout_ms, count }))
    const over = probeLimitError(specs, maxRate)
    if (over) throw new UsageError(`probe: ${over}`)
    // Results arrive once per tick: a quarter second keeps the live table as lively as before.
    const session = new ProbeSession(specs, { tick_ms: 250 })
    const last = new Map<string, number | null>()
    session.on('results', (results) => {
      for (const r of results) last.set(r.target, r.rtt_ms)
    })
    const live = format === 'table' && io.stdout.isTTY === true
    let drawnLines = 0
    const table = () => {
      const { header, rows } = statsToTableRows(
        session.snapshot().map((s) => s.run),
        last,
      )
      return renderTable(header, rows)
    }
    const redraw = () => {
      const text = table()
      io.stdout.write((drawnLines ? `\x1b[${drawnLines}A\x1b[J` : '') + text)
      drawnLines = text.split('\n').length - 1
    }

    const onAbort = () => void session.stop(timeout_ms + 500)
    io.signal.addEventListener('abort', onAbort, { once: true })
    const ticker = live ? setInterval(redraw, 250) : null
    if (live) redraw()
    void session.start()
    let failure: ProbeFailure | null
    try {
      ;({ failure } = await session.finished)
    } finally {
      if (ticker) clearInterval(ticker)
      io.signal.removeEventListener('abort', onAbort)
    }
    if (failure)
      throw new CliError(
        `probe: ${failure.target === '*' ? '' : `${failure.target}: `}${failure.message}`,
      )

    const stats = session.snapshot().map((s) => s.run)
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
