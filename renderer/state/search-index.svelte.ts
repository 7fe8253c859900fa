import { session } from './session.svelte'
import type { SearchIndexView } from '../../src/api/contract'

/** While the index is being made, searches typed meanwhile are asked again this often. */
const ASK_AGAIN_MS = 3000

/**
 * This device's search index as its core reports it, kept across reconnects (a dialog opened
 * while the core restarts still hears of it). `grown` moves when the index finished and every
 * few seconds while it is being made: a search typed meanwhile is asked again, not left with
 * what the index held when the words were typed.
 */
class SearchIndexState {
  status = $state.raw<SearchIndexView | null>(null)
  grown = $state(0)
  private grownAt = 0

  constructor() {
    session.onConnected((api) => {
      api.on('search.indexChanged', (next) => { this.changed(next) })
    })
  }

  /** What a search answered with: the state the answer already reflects. */
  seen(next: SearchIndexView): void {
    this.status = next
  }

  private changed(next: SearchIndexView): void {
    const wasMaking = this.status !== null && this.status.state !== 'ready'
    this.status = next
    if (wasMaking && (next.state === 'ready' || Date.now() - this.grownAt > ASK_AGAIN_MS)) {
      this.grownAt = Date.now()
      this.grown++
    }
  }
}

export const searchIndex = new SearchIndexState()
