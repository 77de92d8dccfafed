/**
 * Ground truth for udp:// probes: a responder in namespace A delays each echo by uniform(15, 25)
 * ms and drops 5 % (seeded); `flowscope probe` runs in namespace B across a veth pair.
 *
 * Tolerances (n = 400 probes, about 380 replies):
 * - Loss is exact: flowscope's sent/received must equal the responder's own received/replied.
 *   The seeded drop count must also be plausible for Binomial(400, 0.05): 20 ± 4 sd (sd 4.36)
 *   → 3..37.
 * - Mean RTT: the delays the responder actually applied have mean 20 ms, sd 10/√12 = 2.89 ms, so
 *   their sample mean is within 4 SE = 4 × 2.89 / √380 = 0.59 ms of 20. flowscope's mean may only
 *   exceed the applied mean by the stack + event-loop overhead: 0 ≤ error ≤ 3 ms (−0.05 for clock
 *   granularity); typically 0.5-0.9 ms here, the rest is headroom for a loaded shared machine.
 * - Jitter: for i.i.d. uniform(15, 25) delays E|X − Y| = 10/3 = 3.33 ms, sd of one term 2.36 ms;
 *   adjacent terms share a delay (lag-1 correlation 0.1), so the mean over ~380 pairs has
 *   SE = 2.36 × √1.2 / √380 = 0.13 ms: 4 SE = 0.53 ms. Overhead jitter only adds, so allow
 *   +0.8 ms more above: 2.80 ≤ jitter ≤ 4.67. And it must agree with the responder's own jitter of
 *   the applied delays (same packets, same order) within 0.8 ms; typically 0.01-0.05 ms.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, NsPair, Responder, ROOT, netnsUnavailable, type ProbeJson } from './netns'

const built = existsSync(`${ROOT}/out/main/probe.js`)
const reason = netnsUnavailable() ?? (built ? null : 'not built: run `npm run build` first')
if (reason) console.warn(`skipping udp ground-truth probe test: ${reason}`)

describe.skipIf(reason !== null)('udp:// against a delaying, dropping echo responder', () => {
  const ns = new NsPair()
  let responder: Responder | null = null
  beforeAll(() => ns.create())
  afterAll(() => {
    responder?.kill()
    ns.destroy()
  })

  it('reports mean RTT, jitter and loss within statistical tolerance of the truth', async () => {
    responder = new Responder(
      [
        'udp-echo',
        '--port',
        '7',
        '--delay-min',
        '15',
        '--delay-max',
        '25',
        '--drop',
        '0.05',
        '--seed',
        '42',
      ],
      ns.a,
    )
    const port = await responder.ready()
    const out = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        ns.b,
        process.execPath,
        CLI,
        'probe',
        `udp://${ns.addrA}:${port}`,
        '--count',
        '400',
        '--interval',
        '10',
        '--timeout',
        '1000',
        '--format',
        'json',
      ],
      { encoding: 'utf8' },
    )
    const truth = await responder.stop()
    responder = null
    const [r] = JSON.parse(out) as ProbeJson[]
    console.log(
      'udp ground truth',
      JSON.stringify({
        responder: truth,
        flowscope: {
          sent: r!.sent,
          received: r!.received,
          loss_pct: r!.loss_pct,
          rtt_ms: r!.rtt_ms,
          jitter_ms: r!.jitter_ms,
        },
      }),
    )

    expect(Object.keys(r!)).toEqual([
      'target',
      'kind',
      'sent',
      'received',
      'loss_pct',
      'rtt_ms',
      'jitter_ms',
    ])
    // Loss: exact against the responder's own counts.
    expect(truth.received).toBe(400)
    expect(r!.sent).toBe(400)
    expect(r!.received).toBe(truth.replied)
    expect(truth.dropped).toBeGreaterThanOrEqual(3)
    expect(truth.dropped).toBeLessThanOrEqual(37)
    expect(r!.loss_pct).toBeCloseTo((100 * truth.dropped!) / 400, 2)

    // Mean RTT.
    expect(Math.abs(truth.delay_mean_ms! - 20)).toBeLessThanOrEqual(0.59)
    const err = r!.rtt_ms.avg! - truth.delay_mean_ms!
    expect(err).toBeGreaterThanOrEqual(-0.05)
    expect(err).toBeLessThanOrEqual(3)
    expect(r!.rtt_ms.min!).toBeGreaterThanOrEqual(15 - 0.05)

    // Jitter.
    expect(r!.jitter_ms.mean!).toBeGreaterThanOrEqual(2.8)
    expect(r!.jitter_ms.mean!).toBeLessThanOrEqual(4.67)
    expect(Math.abs(r!.jitter_ms.mean! - truth.delay_jitter_ms!)).toBeLessThanOrEqual(0.8)
  }, 60_000)
})
