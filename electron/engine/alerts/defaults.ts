/**
 * The rules a new installation starts with (no rules stored yet): conditions that are wrong on
 * any host, with no link-specific thresholds. resources/prometheus/flowscope-default-rules.yaml
 * is the same set as a rules file, and resources/prometheus/flowscope.rules.yml the same
 * conditions as Prometheus alerting rules for central evaluation (a test keeps all three equal).
 */
import { AlertConfig } from '../../../common/alerts'

export const DEFAULT_ALERTS: AlertConfig = AlertConfig.parse({
  rules: [
    { name: 'probe loss', metric: 'probe_loss_percent', above: 5, clear: 1, for: '1m' },
    {
      name: 'probe latency',
      metric: 'probe_rtt_p95_ms',
      above: 200,
      clear: 150,
      for: '1m',
    },
    { name: 'probe jitter', metric: 'probe_jitter_ms', above: 30, clear: 20, for: '1m' },
    {
      name: 'capture drops',
      metric: 'capture_drops_per_second',
      above: 1,
      clear: 0,
      for: '30s',
    },
    {
      name: 'tcp retransmissions',
      metric: 'tcp_retransmission_percent',
      above: 2,
      clear: 1,
      for: '1m',
    },
    {
      name: 'interface receive drops',
      metric: 'interface_receive_drops_per_second',
      above: 10,
      clear: 1,
      for: '1m',
    },
  ],
  webhooks: [],
})
