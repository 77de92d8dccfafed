/**
 * Who is talking, as the store keeps it: per conversation the latest known process, country and
 * network of each side (columns of `conversations`, migration 4), per address the latest reverse
 * DNS name (`host_names`). Deltas bring the answers known at their tick; a field not known (null)
 * never overwrites one that was. Writes are skipped when nothing changed since the last one, so
 * a long conversation costs one UPDATE, not one per batch.
 */
import type { AttributionFields } from '../attribution'
import type { Db } from './open'

/** The per-conversation answers stored (range labels folded into country and organisation). */
export interface StoredWho {
  process: string | null
  pid: number | null
  process_side: 'a' | 'b' | null
  country_a: string | null
  country_b: string | null
  asn_a: number | null
  asn_b: number | null
  as_org_a: string | null
  as_org_b: string | null
}

const WHO_KEYS = [
  'process',
  'pid',
  'process_side',
  'country_a',
  'country_b',
  'asn_a',
  'asn_b',
  'as_org_a',
  'as_org_b',
] as const satisfies readonly (keyof StoredWho)[]

/** What a delta says, as stored; null when it carries no answer at all. */
export function storedWho(d: AttributionFields): StoredWho | null {
  const process = d.process != null && d.pid != null
  const who: StoredWho = {
    process: process ? (d.process ?? null) : null,
    pid: process ? (d.pid ?? null) : null,
    process_side: process ? (d.process_side ?? null) : null,
    country_a: d.range_a ?? d.country_a ?? null,
    country_b: d.range_b ?? d.country_b ?? null,
    asn_a: d.range_a ? null : (d.asn_a ?? null),
    asn_b: d.range_b ? null : (d.asn_b ?? null),
    as_org_a: d.range_a ?? d.as_org_a ?? null,
    as_org_b: d.range_b ?? d.as_org_b ?? null,
  }
  return WHO_KEYS.some((k) => who[k] !== null) ? who : null
}

/** Later answers win, field by field; an unknown (null) keeps the earlier answer. */
export function mergeWho(into: StoredWho | null, from: StoredWho | null): StoredWho | null {
  if (!into) return from
  if (!from) return into
  const out = { ...into }
  if (from.process !== null) {
    out.process = from.process
    out.pid = from.pid
    out.process_side = from.process_side
  }
  for (const k of ['country_a', 'country_b', 'as_org_a', 'as_org_b'] as const)
    if (from[k] !== null) out[k] = from[k]
  if (from.asn_a !== null) out.asn_a = from.asn_a
  if (from.asn_b !== null) out.asn_b = from.asn_b
  return out
}

/** Names of one delta's endpoints (null: not known). */
export interface Names {
  name_a: string | null
  name_b: string | null
}

/** Cached answers per conversation id and per address, to skip writes that change nothing. */
const MAX_CACHED = 50_000
/** A name seen again is re-stamped at most this often (its last-seen time). */
const NAME_RESTAMP_US = 60e6

export class AttributionWrites {
  private readonly who = new Map<number, string>()
  private readonly names = new Map<string, { name: string; seen_us: number }>()
  private readonly stmts

  constructor(db: Db) {
    this.stmts = {
      who: db.prepare(
        `UPDATE conversations SET process = coalesce(@process, process),
          pid = CASE WHEN @process IS NULL THEN pid ELSE @pid END,
          process_side = CASE WHEN @process IS NULL THEN process_side ELSE @process_side END,
          country_a = coalesce(@country_a, country_a), country_b = coalesce(@country_b, country_b),
          asn_a = coalesce(@asn_a, asn_a), asn_b = coalesce(@asn_b, asn_b),
          as_org_a = coalesce(@as_org_a, as_org_a), as_org_b = coalesce(@as_org_b, as_org_b)
        WHERE id = @id`,
      ),
      name: db.prepare(
        `INSERT INTO host_names (address, name, seen_us) VALUES (?, ?, ?)
         ON CONFLICT (address) DO UPDATE SET name = excluded.name,
           seen_us = max(seen_us, excluded.seen_us)`,
      ),
      prune: db.prepare(
        `DELETE FROM host_names WHERE
           NOT EXISTS (SELECT 1 FROM conversations WHERE address_a = host_names.address) AND
           NOT EXISTS (SELECT 1 FROM conversations WHERE address_b = host_names.address)`,
      ),
    }
  }

  /** Inside the writer's transaction: the conversation's answers, if they changed. */
  conversation(id: number, who: StoredWho): void {
    const sig = WHO_KEYS.map((k) => who[k] ?? '').join('\t')
    if (this.who.get(id) === sig) return
    this.stmts.who.run({ id, ...who })
    remember(this.who, id, sig)
  }

  /** Inside the writer's transaction: an address's name, when new or changed or due a re-stamp. */
  name(address: string, name: string, seen_us: number): void {
    const had = this.names.get(address)
    if (had && had.name === name && seen_us - had.seen_us < NAME_RESTAMP_US) return
    this.stmts.name.run(address, name, seen_us)
    remember(this.names, address, { name, seen_us })
  }

  /** After retention removed conversations: names of addresses no conversation has any more. */
  prune(): number {
    this.forget()
    return this.stmts.prune.run().changes
  }

  /** A rolled-back transaction or pruned rows: what was written is no longer known. */
  forget(): void {
    this.who.clear()
    this.names.clear()
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key)
  if (map.size >= MAX_CACHED) map.delete(map.keys().next().value as K)
  map.set(key, value)
}

/** Names carried by a delta (merged: the later known name wins). */
export function mergeNames(into: Names | null, from: Names | null): Names | null {
  if (!into) return from
  if (!from) return into
  return { name_a: from.name_a ?? into.name_a, name_b: from.name_b ?? into.name_b }
}

export function namesOf(d: AttributionFields): Names | null {
  const name_a = d.name_a ?? null
  const name_b = d.name_b ?? null
  return name_a === null && name_b === null ? null : { name_a, name_b }
}
