/**
 * A small JSON document in userData (window bounds, desktop preferences). Read once at start-up;
 * writes are atomic (temp file + rename) so a crash never leaves half a file. A missing or broken
 * file gives the defaults.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { z } from 'zod'

export class JsonFile<T extends object> {
  private value: T

  constructor(
    private readonly path: string,
    private readonly schema: z.ZodType<Partial<T>>,
    private readonly defaults: T,
  ) {
    this.value = this.read()
  }

  get(): T {
    return this.value
  }

  set(patch: Partial<T>): T {
    this.value = { ...this.value, ...patch }
    try {
      mkdirSync(dirname(this.path), { recursive: true })
      const tmp = `${this.path}.tmp`
      writeFileSync(tmp, `${JSON.stringify(this.value, null, 2)}\n`)
      renameSync(tmp, this.path)
    } catch (err) {
      // Preferences are a convenience: a read-only home must not break the app.
      console.warn(`flowscope: could not save ${this.path}: ${(err as Error).message}`)
    }
    return this.value
  }

  private read(): T {
    try {
      const parsed = this.schema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')))
      return parsed.success ? { ...this.defaults, ...parsed.data } : { ...this.defaults }
    } catch {
      return { ...this.defaults }
    }
  }
}
