/**
 * A test-only IPFIX / NetFlow v9 reader written from RFC 7011 and RFC 3954 (not from the
 * encoder): headers, template sets and data records decoded with the templates seen so far.
 */
export interface Message {
  version: number
  length: number
  /** NetFlow v9: count field; IPFIX: undefined. */
  count?: number
  /** NetFlow v9 sysUptime (ms). */
  uptime?: number
  exportSecs: number
  sequence: number
  domain: number
  templates: { id: number; fields: [number, number][] }[]
  /** Data records as field id -> value (numbers; addresses as text). */
  records: Map<number, number | string>[]
  setIds: number[]
}

export type Templates = Map<number, [number, number][]>

function addr(b: Buffer, p: number, n: number): string {
  if (n === 4) return [...b.subarray(p, p + 4)].join('.')
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(p + i).toString(16))
  return words.join(':')
}

const ADDR_FIELDS = new Set([8, 12, 27, 28])

export function decodeMessage(b: Buffer, templates: Templates): Message {
  const version = b.readUInt16BE(0)
  const m: Message =
    version === 10
      ? {
          version,
          length: b.readUInt16BE(2),
          exportSecs: b.readUInt32BE(4),
          sequence: b.readUInt32BE(8),
          domain: b.readUInt32BE(12),
          templates: [],
          records: [],
          setIds: [],
        }
      : {
          version,
          length: b.length,
          count: b.readUInt16BE(2),
          uptime: b.readUInt32BE(4),
          exportSecs: b.readUInt32BE(8),
          sequence: b.readUInt32BE(12),
          domain: b.readUInt32BE(16),
          templates: [],
          records: [],
          setIds: [],
        }
  let p = version === 10 ? 16 : 20
  const templateSet = version === 10 ? 2 : 0
  while (p + 4 <= b.length) {
    const setId = b.readUInt16BE(p)
    const setLen = b.readUInt16BE(p + 2)
    if (setLen < 4) throw new Error(`set length ${setLen}`)
    const end = p + setLen
    m.setIds.push(setId)
    let q = p + 4
    if (setId === templateSet) {
      while (q + 4 <= end) {
        const id = b.readUInt16BE(q)
        const n = b.readUInt16BE(q + 2)
        q += 4
        const fields: [number, number][] = []
        for (let i = 0; i < n; i++, q += 4) fields.push([b.readUInt16BE(q), b.readUInt16BE(q + 2)])
        templates.set(id, fields)
        m.templates.push({ id, fields })
      }
    } else if (setId >= 256) {
      const t = templates.get(setId)
      if (!t) throw new Error(`data set ${setId} before its template`)
      const size = t.reduce((n, [, l]) => n + l, 0)
      while (q + size <= end) {
        const r = new Map<number, number | string>()
        for (const [id, len] of t) {
          if (ADDR_FIELDS.has(id)) r.set(id, addr(b, q, len))
          else if (len === 8) r.set(id, b.readUInt32BE(q) * 2 ** 32 + b.readUInt32BE(q + 4))
          else r.set(id, b.readUIntBE(q, len))
          q += len
        }
        m.records.push(r)
      }
    }
    p = end
  }
  return m
}
