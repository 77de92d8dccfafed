/** Field errors of a settings form: the engine's message names the field ("a.b reason"). */
import { reactive, ref } from 'vue'
import type { Failure } from '../../../../common/contract'
import { fieldError } from '../../composables/useSettings'

export function useFieldErrors() {
  const errors = reactive<Record<string, string>>({})
  return {
    errors,
    clear(): void {
      for (const k of Object.keys(errors)) delete errors[k]
    },
    /** Records a failure under the path it names ('(root)' when it names none). */
    take(f: Failure, prefix = ''): void {
      const { path, reason } = fieldError(f)
      errors[path === '(root)' ? '(root)' : prefix + path] = reason
    },
    /** The error of a field or of anything inside it (list items: "probe_targets.3"). */
    at(path: string): string | undefined {
      if (errors[path]) return errors[path]
      const inner = Object.keys(errors).find((k) => k.startsWith(`${path}.`))
      return inner ? `${inner.slice(path.length + 1)}: ${errors[inner]}` : undefined
    },
  }
}

/** The id an error message gets for aria-describedby. */
export const errorId = (path: string) => `err-${path.replace(/[^\w-]/g, '-')}`

/**
 * Bumped after an import: sections whose values live behind their own methods (retention, rules,
 * flow export, probe targets) read them again. The general settings follow settings.changed.
 */
export const reloadSections = ref(0)
