/**
 * Keyboard shortcuts: one global dispatcher and a tiny registry pages register their actions in.
 * iftop's keys act on the Connections page; `g` then a letter switches page; `?` opens the help.
 * Keys are ignored while typing in a field, and with Ctrl, Alt or Meta held (browser shortcuts).
 */
import { onActivated, onDeactivated, onMounted, onUnmounted, readonly, ref } from 'vue'

export type PageId = 'interfaces' | 'connections' | 'probes' | 'history' | 'settings'

/** The actions a page may register, and the key of each (iftop's where iftop has one). */
export const PAGE_KEYS = {
  connections: [
    { key: 'n', action: 'names', help: 'show host names or addresses' },
    { key: 'p', action: 'ports', help: 'show or hide ports' },
    { key: 's', action: 'source', help: 'aggregate by source' },
    { key: 'd', action: 'destination', help: 'aggregate by destination' },
    { key: '1', action: 'sort2', help: 'sort by the 2 s average' },
    { key: '2', action: 'sort10', help: 'sort by the 10 s average' },
    { key: '3', action: 'sort40', help: 'sort by the 40 s average' },
    { key: 'P', action: 'pause', help: 'pause or resume the display' },
    { key: '/', action: 'filter', help: 'filter rows' },
  ],
} as const satisfies Partial<
  Record<PageId, readonly { key: string; action: string; help: string }[]>
>

type KeyedPage = keyof typeof PAGE_KEYS
export type PageAction<P extends KeyedPage> = (typeof PAGE_KEYS)[P][number]['action']

/** `g` then one of these switches page (as in Gmail and GitHub). */
export const GO_KEYS: Record<string, PageId> = {
  i: 'interfaces',
  c: 'connections',
  p: 'probes',
  h: 'history',
  s: 'settings',
}
const GO_WINDOW_MS = 1500

const registry = new Map<KeyedPage, Partial<Record<string, () => void>>>()
const activePage = ref<PageId>('interfaces')

/** The actions of a page: registered while it is shown (KeepAlive: from activated to deactivated). */
export function registerPageActions<P extends KeyedPage>(
  page: P,
  actions: Partial<Record<PageAction<P>, () => void>>,
): () => void {
  registry.set(page, actions)
  return () => {
    if (registry.get(page) === actions) registry.delete(page)
  }
}

/** registerPageActions for a component's lifetime, KeepAlive aware. */
export function usePageActions<P extends KeyedPage>(
  page: P,
  actions: Partial<Record<PageAction<P>, () => void>>,
): void {
  let off: (() => void) | null = null
  const on = () => {
    off?.()
    off = registerPageActions(page, actions)
  }
  const stop = () => {
    off?.()
    off = null
  }
  onMounted(on)
  onActivated(on)
  onDeactivated(stop)
  onUnmounted(stop)
}

/** The page the dispatcher sends page keys to (the one shown). */
export const currentPage = readonly(activePage)

/** Whether a page registered an action (the help marks the others as not available here). */
export function hasAction(page: KeyedPage, action: string): boolean {
  return typeof registry.get(page)?.[action] === 'function'
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true
  if (target instanceof HTMLInputElement)
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(
      target.type,
    )
  return false
}

export interface KeyboardOptions {
  go(page: PageId): void
  help(): void
  /** True while a dialog is open: its own keys only. */
  modal(): boolean
}

/** Installs the dispatcher on window for the shell's lifetime; returns the page it tracks. */
export function useKeyboard(opts: KeyboardOptions) {
  let goAt = 0
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return
    if (opts.modal() || typing(e.target)) return
    const now = performance.now()
    if (goAt && now - goAt < GO_WINDOW_MS) {
      goAt = 0
      const page = GO_KEYS[e.key]
      if (page) {
        e.preventDefault()
        opts.go(page)
      }
      return
    }
    goAt = 0
    if (e.key === 'g') {
      goAt = now
      e.preventDefault()
      return
    }
    if (e.key === '?') {
      e.preventDefault()
      opts.help()
      return
    }
    const page = activePage.value
    if (!(page in PAGE_KEYS)) return
    const bound = PAGE_KEYS[page as KeyedPage].find((k) => k.key === e.key)
    const run = bound && registry.get(page as KeyedPage)?.[bound.action]
    if (run) {
      e.preventDefault()
      run()
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onUnmounted(() => window.removeEventListener('keydown', onKey))
  return {
    setPage(page: PageId) {
      activePage.value = page
    },
  }
}
