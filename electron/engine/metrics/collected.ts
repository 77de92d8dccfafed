/**
 * A prom-client metric whose samples are computed at scrape time (counters kept elsewhere,
 * kernel counters read each tick), so no value is copied into prom-client on every tick.
 */
import type { Registry } from 'prom-client'

export interface CollectedSample {
  labels: Record<string, string>
  value: number
}

export class Collected {
  readonly aggregator = 'sum'

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    private readonly collect: () => CollectedSample[] | Promise<CollectedSample[]>,
  ) {}

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: await this.collect(),
    }
  }

  reset(): void {}

  register(registry: Registry): this {
    registry.registerMetric(this as never)
    return this
  }
}
