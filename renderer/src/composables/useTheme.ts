/**
 * The theme: 'system' follows the OS (prefers-color-scheme), 'dark' and 'light' force one.
 * styles.css holds both sets of colour tokens; this only sets <html data-theme> and counts
 * changes of the colours actually in force, which the charts watch to re-read the tokens.
 */
import { computed, readonly, ref } from 'vue'
import type { Theme } from '../../../common/settings'

const chosen = ref<Theme>('system')
const systemLight = ref(false)
const version = ref(0)

let media: MediaQueryList | null = null
function watchSystem(): void {
  if (media || typeof matchMedia !== 'function') return
  media = matchMedia('(prefers-color-scheme: light)')
  systemLight.value = media.matches
  media.addEventListener('change', (e) => {
    systemLight.value = e.matches
    if (chosen.value === 'system') version.value++
  })
}

/** The colours in force: the chosen theme, or the system's for 'system'. */
const effective = computed<'dark' | 'light'>(() =>
  chosen.value === 'system' ? (systemLight.value ? 'light' : 'dark') : chosen.value,
)

export function applyTheme(theme: Theme): void {
  watchSystem()
  const before = effective.value
  chosen.value = theme
  // 'system' leaves the attribute off so the stylesheet's media query decides.
  if (theme === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = theme
  if (effective.value !== before) version.value++
}

export function useTheme() {
  watchSystem()
  return {
    chosen: readonly(chosen),
    effective,
    /** Bumped whenever the colours in force change: rebuild anything that copied a token. */
    version: readonly(version),
  }
}
