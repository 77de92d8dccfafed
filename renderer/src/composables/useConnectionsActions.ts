/**
 * The Connections page's actions for global keyboard shortcuts (iftop's keys): the page
 * registers them while it is mounted; App-level key handling calls them without knowing the
 * page. Every action returns false when the page is not there to act.
 *
 *   togglePorts()            `p`  show or hide ports
 *   aggregate('source')      `s`  (again: back to conversations)
 *   aggregate('destination') `d`
 *   sortWindow(2 | 10 | 40)  `1` `2` `3`  sort by that window, both directions
 *   togglePause()            `P`
 *   focusFilter()            `/`
 */
import type { ViewGroup } from '../../../common/capture'

export interface ConnectionsActions {
  togglePorts(): void
  aggregate(group: ViewGroup): void
  sortWindow(seconds: 2 | 10 | 40): void
  togglePause(): void
  focusFilter(): void
}

let current: ConnectionsActions | null = null

/** Called by the Connections page: its actions, until the returned function is called. */
export function provideConnectionsActions(actions: ConnectionsActions): () => void {
  current = actions
  return () => {
    if (current === actions) current = null
  }
}

type Caller = {
  [K in keyof ConnectionsActions]: (...a: Parameters<ConnectionsActions[K]>) => boolean
}

/** For key handlers anywhere: each call acts on the page if it is there (true) or does nothing. */
export function useConnectionsActions(): Caller {
  const call =
    <K extends keyof ConnectionsActions>(k: K) =>
    (...a: Parameters<ConnectionsActions[K]>): boolean => {
      if (!current) return false
      ;(current[k] as (...x: unknown[]) => void)(...a)
      return true
    }
  return {
    togglePorts: call('togglePorts'),
    aggregate: call('aggregate'),
    sortWindow: call('sortWindow'),
    togglePause: call('togglePause'),
    focusFilter: call('focusFilter'),
  }
}
