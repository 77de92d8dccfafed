/**
 * The series tables described once, so the writer's upserts and the rollups combine columns the
 * same way: counters add, minimums take the least, maximums the greatest, and first/last-seen
 * offsets are re-based on the coarser bucket.
 */

export interface SeriesKind {
  /** Retention kind (tiers.ts) and dimension table (pruned once a row has no series left). */
  kind: 'interfaces' | 'conversations' | 'probes'
  dims: string
  table: string
  /** Column naming the dimension row (interface, conversation, probe). */
  key: string
  sums: readonly string[]
  mins: readonly string[]
  maxs: readonly string[]
  /** Has first_off_us / last_off_us (µs offsets from bucket_s). */
  seen: boolean
}

export const IFACE: SeriesKind = {
  kind: 'interfaces',
  dims: 'interfaces',
  table: 'iface_series',
  key: 'iface_id',
  sums: ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'drops'],
  mins: [],
  maxs: [],
  seen: false,
}

export const CONV: SeriesKind = {
  kind: 'conversations',
  dims: 'conversations',
  table: 'conv_series',
  key: 'conv_id',
  sums: ['packets_a_to_b', 'bytes_a_to_b', 'packets_b_to_a', 'bytes_b_to_a', 'retransmissions'],
  mins: [],
  maxs: [],
  seen: true,
}

export const PROBE: SeriesKind = {
  kind: 'probes',
  dims: 'probes',
  table: 'probe_series',
  key: 'probe_id',
  sums: [
    'sent',
    'received',
    'rtt_count',
    'rtt_sum_ms',
    'rtt_sumsq_ms2',
    'jitter_sum_ms',
    'jitter_count',
  ],
  mins: ['rtt_min_ms'],
  maxs: ['rtt_max_ms'],
  seen: false,
}

export const KINDS: readonly SeriesKind[] = [IFACE, CONV, PROBE]

export const valueColumns = (k: SeriesKind): string[] => [
  ...k.sums,
  ...k.mins,
  ...k.maxs,
  ...(k.seen ? ['first_off_us', 'last_off_us'] : []),
]

/**
 * The ON CONFLICT clause adding `excluded` into an existing row. first/last offsets are both
 * relative to the same bucket_s here, so min/max apply directly. SQLite's two-argument min()
 * is NULL if either side is, hence the coalesce for nullable min/max columns.
 */
export function mergeClause(k: SeriesKind): string {
  const set = [
    ...k.sums.map((c) => `${c} = ${c} + excluded.${c}`),
    ...k.mins.map((c) => `${c} = coalesce(min(${c}, excluded.${c}), ${c}, excluded.${c})`),
    ...k.maxs.map((c) => `${c} = coalesce(max(${c}, excluded.${c}), ${c}, excluded.${c})`),
    ...(k.seen
      ? [
          'first_off_us = min(first_off_us, excluded.first_off_us)',
          'last_off_us = max(last_off_us, excluded.last_off_us)',
        ]
      : []),
  ]
  return `ON CONFLICT (step_s, bucket_s, ${k.key}) DO UPDATE SET ${set.join(', ')}`
}

/** INSERT of one row (named parameters: step_s, bucket_s, key, every value column). */
export function upsertSql(k: SeriesKind): string {
  const cols = ['step_s', 'bucket_s', k.key, ...valueColumns(k)]
  return `INSERT INTO ${k.table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')}) ${mergeClause(k)}`
}

/**
 * Rolls tier @from (seconds) into tier @to for fine buckets in [@lo, @hi). Offsets are turned
 * back into absolute µs before min/max and re-based on the coarse bucket.
 */
export function rollupSql(k: SeriesKind): string {
  // better-sqlite3 binds every JS number as REAL: without the cast the division is exact and
  // each fine bucket would stay a bucket of its own in the coarse tier.
  const b = '((bucket_s / CAST(@to AS INTEGER)) * CAST(@to AS INTEGER))'
  const cols = ['step_s', 'bucket_s', k.key, ...valueColumns(k)]
  const select = [
    '@to',
    b,
    k.key,
    ...k.sums.map((c) => `sum(${c})`),
    ...k.mins.map((c) => `min(${c})`),
    ...k.maxs.map((c) => `max(${c})`),
    ...(k.seen
      ? [
          `min(bucket_s * 1000000 + first_off_us) - ${b} * 1000000`,
          `max(bucket_s * 1000000 + last_off_us) - ${b} * 1000000`,
        ]
      : []),
  ]
  return (
    `INSERT INTO ${k.table} (${cols.join(', ')}) SELECT ${select.join(', ')} FROM ${k.table} ` +
    `WHERE step_s = @from AND bucket_s >= @lo AND bucket_s < @hi GROUP BY ${b}, ${k.key} ${mergeClause(k)}`
  )
}
