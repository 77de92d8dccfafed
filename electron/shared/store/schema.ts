/**
 * The store's schema as an ordered list of migrations. `PRAGMA user_version` records how many
 * have run; each runs in its own transaction together with the version bump, so a crash never
 * leaves half a migration. Never edit a released migration: append a new one.
 *
 * Layout: small dimension tables (interfaces, conversations, probes) and one series table per
 * kind keyed (step_s, bucket_s, id) WITHOUT ROWID, holding every tier. Counters are sums of
 * deltas, so rolling up is a plain SUM; min/max/sum-of-squares columns combine exactly too.
 */

import { backfillSql, HOST_SERIES, PROTO_SERIES } from './derived-series'

/** 'FSHS' (Flowscope history store), written to the SQLite header on create. */
export const APPLICATION_ID = 0x46534853

export interface Migration {
  version: number
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'series tables, dimensions, alerts, rollup watermarks',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE interfaces (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE iface_series (
  step_s INTEGER NOT NULL, bucket_s INTEGER NOT NULL, iface_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL, tx_bytes INTEGER NOT NULL,
  rx_packets INTEGER NOT NULL, tx_packets INTEGER NOT NULL, drops INTEGER NOT NULL,
  PRIMARY KEY (step_s, bucket_s, iface_id)
) WITHOUT ROWID;

-- Ports are -1 where the protocol has none (UNIQUE treats NULLs as distinct).
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  protocol TEXT NOT NULL, address_a TEXT NOT NULL, port_a INTEGER NOT NULL,
  address_b TEXT NOT NULL, port_b INTEGER NOT NULL,
  handshake_rtt_ms REAL,
  UNIQUE (protocol, address_a, port_a, address_b, port_b)
);
-- first/last seen are offsets from bucket_s in microseconds (small integers on disk).
CREATE TABLE conv_series (
  step_s INTEGER NOT NULL, bucket_s INTEGER NOT NULL, conv_id INTEGER NOT NULL,
  packets_a_to_b INTEGER NOT NULL, bytes_a_to_b INTEGER NOT NULL,
  packets_b_to_a INTEGER NOT NULL, bytes_b_to_a INTEGER NOT NULL,
  retransmissions INTEGER NOT NULL,
  first_off_us INTEGER NOT NULL, last_off_us INTEGER NOT NULL,
  PRIMARY KEY (step_s, bucket_s, conv_id)
) WITHOUT ROWID;

-- Probe results, aggregatable: loss = 1 - received/sent, mean = rtt_sum/rtt_count,
-- stddev from rtt_sumsq, jitter (mtr: mean |RTT(n) - RTT(n-1)|) = jitter_sum/jitter_count.
CREATE TABLE probes (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, UNIQUE (kind, target)
);
CREATE TABLE probe_series (
  step_s INTEGER NOT NULL, bucket_s INTEGER NOT NULL, probe_id INTEGER NOT NULL,
  sent INTEGER NOT NULL, received INTEGER NOT NULL,
  rtt_count INTEGER NOT NULL, rtt_sum_ms REAL NOT NULL, rtt_sumsq_ms2 REAL NOT NULL,
  rtt_min_ms REAL, rtt_max_ms REAL,
  jitter_sum_ms REAL NOT NULL, jitter_count INTEGER NOT NULL,
  PRIMARY KEY (step_s, bucket_s, probe_id)
) WITHOUT ROWID;

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, rule TEXT NOT NULL,
  severity TEXT NOT NULL, message TEXT NOT NULL, value REAL
);
CREATE INDEX alerts_time ON alerts (time_us);

-- Tier from_step_s is rolled up into to_step_s for every bucket before done_until_s.
CREATE TABLE rollup_state (
  from_step_s INTEGER PRIMARY KEY, to_step_s INTEGER NOT NULL, done_until_s INTEGER NOT NULL
);
INSERT INTO rollup_state VALUES (10, 60, 0), (60, 3600, 0), (3600, 86400, 0);

-- Retention has deleted every bucket of tier step_s before pruned_below_s: a query reads a
-- tier only for ranges at or after it.
CREATE TABLE tier_state (step_s INTEGER PRIMARY KEY, pruned_below_s INTEGER NOT NULL);
INSERT INTO tier_state VALUES (10, 0), (60, 0), (3600, 0), (86400, 0);
`,
  },
  {
    version: 2,
    description: 'indexes for top-N buckets, host lookups and pruning ended conversations',
    sql: `
-- A conversation's rows across tiers: bucketed top-N reads only the top ids' buckets, and
-- retention finds conversations left with no rows (see rollup.ts).
CREATE INDEX conv_series_conv ON conv_series (conv_id, step_s, bucket_s);
CREATE INDEX conversations_a ON conversations (address_a);
CREATE INDEX conversations_b ON conversations (address_b);
CREATE INDEX probe_series_probe ON probe_series (probe_id, step_s, bucket_s);
CREATE INDEX iface_series_iface ON iface_series (iface_id, step_s, bucket_s);
`,
  },
  {
    version: 3,
    description: 'retention per kind: where each kind was pruned in each tier',
    sql: `
-- Like tier_state, per kind (interfaces, conversations, probes): a kind may keep a tier for
-- less time than another. Queries read max(tier_state, this) for their kind.
CREATE TABLE kind_tier_state (
  kind TEXT NOT NULL, step_s INTEGER NOT NULL, pruned_below_s INTEGER NOT NULL,
  PRIMARY KEY (kind, step_s)
) WITHOUT ROWID;
`,
  },
  {
    version: 4,
    description:
      'who is talking: process, service, country and network per conversation; host names',
    sql: `
-- The latest known answer per conversation (NULL: never known). country_* holds the ISO code or
-- the special range's label ("private", "loopback"); as_org_* the organisation or that label
-- (with asn_* NULL). service_port is the port the service was named for.
ALTER TABLE conversations ADD COLUMN process TEXT;
ALTER TABLE conversations ADD COLUMN pid INTEGER;
ALTER TABLE conversations ADD COLUMN process_side TEXT;
ALTER TABLE conversations ADD COLUMN service TEXT;
ALTER TABLE conversations ADD COLUMN service_port INTEGER;
ALTER TABLE conversations ADD COLUMN country_a TEXT;
ALTER TABLE conversations ADD COLUMN country_b TEXT;
ALTER TABLE conversations ADD COLUMN asn_a INTEGER;
ALTER TABLE conversations ADD COLUMN asn_b INTEGER;
ALTER TABLE conversations ADD COLUMN as_org_a TEXT;
ALTER TABLE conversations ADD COLUMN as_org_b TEXT;
-- Reverse DNS names per address, the latest one and when it was last seen (µs since the
-- epoch); pruned with the last conversation of the address.
CREATE TABLE host_names (
  address TEXT PRIMARY KEY, name TEXT NOT NULL, seen_us INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 5,
    description: 'per-protocol series for bucketed protocol queries',
    sql: `
-- Derived from conv_series per (tier, bucket, protocol); see derived-series.ts.
CREATE TABLE proto_series (
  step_s INTEGER NOT NULL, bucket_s INTEGER NOT NULL, protocol TEXT NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, conversations INTEGER NOT NULL,
  PRIMARY KEY (step_s, bucket_s, protocol)
) WITHOUT ROWID;
${backfillSql(PROTO_SERIES)}
`,
  },
  {
    version: 6,
    description: 'per-host series for host queries; hosts get their own retention',
    sql: `
-- Derived from conv_series per (tier, bucket, host), each conversation counting for both of its
-- endpoints; see derived-series.ts. first/last seen are µs offsets from bucket_s. Hosts are ids
-- (short keys, also for IPv6), added by the rebuilds and pruned with their last series row.
CREATE TABLE hosts (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE TABLE host_series (
  step_s INTEGER NOT NULL, bucket_s INTEGER NOT NULL, host_id INTEGER NOT NULL,
  packets_sent INTEGER NOT NULL, bytes_sent INTEGER NOT NULL,
  packets_received INTEGER NOT NULL, bytes_received INTEGER NOT NULL,
  conversations INTEGER NOT NULL, first_off_us INTEGER NOT NULL, last_off_us INTEGER NOT NULL,
  PRIMARY KEY (step_s, bucket_s, host_id)
) WITHOUT ROWID;
-- A bucketed top N reads only the top hosts' buckets; pruning finds hosts with no row left.
CREATE INDEX host_series_host ON host_series (host_id, step_s, bucket_s);
${backfillSql(HOST_SERIES)}
-- Host series exist where conversation rows still do: hosts start pruned where they are.
INSERT INTO kind_tier_state (kind, step_s, pruned_below_s)
  SELECT 'hosts', step_s, pruned_below_s FROM kind_tier_state WHERE kind = 'conversations';
`,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0
