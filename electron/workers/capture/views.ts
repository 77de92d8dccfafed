/**
 * Every client's Connections view in the capture worker: the set the engine sent last, which
 * clients still wait for their new view's rows, and each tick's rows by client id, each distinct
 * view (by its JSON) computed once so clients showing the same view share the work.
 */
import type { ConnectionsView, ViewResult } from '../../../common/capture'
import type { ClientViews } from '../../shared/protocol/capture'

export class ViewSet {
  private views = new Map<string, { view: ConnectionsView; key: string }>()
  /** Clients whose new or changed view no tick has answered yet. */
  private readonly pending = new Set<string>()

  /**
   * Replaces the set (a client left out is gone); true when some client's view is new or
   * changed, i.e. an early answer is due.
   */
  replace(views: ClientViews): boolean {
    const next = new Map<string, { view: ConnectionsView; key: string }>()
    let changed = false
    for (const [id, view] of Object.entries(views)) {
      const key = JSON.stringify(view)
      if (this.views.get(id)?.key !== key) {
        this.pending.add(id)
        changed = true
      }
      next.set(id, { view, key })
    }
    for (const id of this.pending) if (!next.has(id)) this.pending.delete(id)
    this.views = next
    return changed
  }

  get size(): number {
    return this.views.size
  }

  /** Clients waiting for their new view's rows. */
  waiting(): string[] {
    return [...this.pending]
  }

  /**
   * The rows of `ids`' views (default: every client's), each distinct view applied once; those
   * clients count as answered. Undefined when none of them has a view.
   */
  compute(
    apply: (view: ConnectionsView) => ViewResult,
    ids: Iterable<string> = this.views.keys(),
  ): Record<string, ViewResult> | undefined {
    const byKey = new Map<string, ViewResult>()
    const out: Array<[string, ViewResult]> = []
    for (const id of ids) {
      const v = this.views.get(id)
      if (!v) continue
      let r = byKey.get(v.key)
      if (!r) byKey.set(v.key, (r = apply(v.view)))
      out.push([id, r])
      this.pending.delete(id)
    }
    // fromEntries defines own properties: an id can never reach the prototype.
    return out.length > 0 ? Object.fromEntries(out) : undefined
  }
}
