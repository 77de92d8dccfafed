/**
 * The body Alertmanager POSTs to its webhook receivers (version 4), so receivers written for
 * Alertmanager take Flowscope's alerts unchanged. One notification per transition, grouped by
 * alertname.
 */
import type { AlertNotice } from '../../../common/alerts'

/** Alertmanager's endsAt of an alert that has not resolved (Go's zero time). */
export const ZERO_TIME = '0001-01-01T00:00:00Z'

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL: string
  fingerprint: string
}

export interface AlertmanagerBody {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: AlertmanagerAlert[]
}

/** Prometheus's label fingerprint: FNV-1a 64 over sorted name, 0xff, value, 0xff; 16 hex digits. */
export function fingerprint(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n
  const prime = 0x100000001b3n
  const mask = 0xffffffffffffffffn
  const eat = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask
  }
  const enc = new TextEncoder()
  for (const name of Object.keys(labels).sort()) {
    eat(enc.encode(name))
    eat(Uint8Array.of(0xff))
    eat(enc.encode(labels[name]))
    eat(Uint8Array.of(0xff))
  }
  return h.toString(16).padStart(16, '0')
}

const quote = (s: string) => JSON.stringify(s)

export function alertmanagerBody(notice: AlertNotice, receiver = 'flowscope'): AlertmanagerBody {
  const alertname = notice.labels.alertname ?? notice.rule
  return {
    version: '4',
    groupKey: `{}:{alertname=${quote(alertname)}}`,
    truncatedAlerts: 0,
    status: notice.status,
    receiver,
    groupLabels: { alertname },
    commonLabels: notice.labels,
    commonAnnotations: notice.annotations,
    externalURL: '',
    alerts: [
      {
        status: notice.status,
        labels: notice.labels,
        annotations: notice.annotations,
        startsAt: notice.startsAt,
        endsAt: notice.endsAt ?? ZERO_TIME,
        generatorURL: '',
        fingerprint: fingerprint(notice.labels),
      },
    ],
  }
}
