/**
 * The desktop app's opt-in Prometheus endpoint: a loopback-only /metrics listener on the port the
 * settings give, started with the engine (a changed setting applies at the next start, like the
 * tick). Serve mode has its own --metrics flag instead.
 */
import { createMetrics } from '../metrics'
import { serveMetrics } from '../metrics/http'
import type { Monitor } from '../monitor'

/** Starts the listener when enabled; failures (port taken) are reported, never thrown. */
export async function startDesktopMetrics(
  monitor: Monitor,
  log: (line: string) => void,
): Promise<(() => Promise<void>) | null> {
  const { enabled, port } = monitor.settings.value.metrics
  if (!enabled) return null
  const metrics = createMetrics({
    events: monitor.events,
    counters: () => monitor.lastCounters,
    firing: () => monitor.alerts.firing(),
  })
  try {
    const server = await serveMetrics(metrics, port)
    monitor.settings.setMetrics({
      source: 'desktop',
      url: `http://127.0.0.1:${server.port}/metrics`,
      token_required: false,
    })
    return async () => {
      metrics.close()
      await server.close()
    }
  } catch (err) {
    metrics.close()
    log(`flowscope: metrics endpoint on 127.0.0.1:${port} not started: ${(err as Error).message}`)
    return null
  }
}
