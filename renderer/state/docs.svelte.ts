import { navigation } from './navigation.svelte'
import { withEntries } from './readonly-collections'
import { session } from './session.svelte'
import type { ConversationId, DocId, DocKind, DocView } from '../../src/api/contract'

/** Longest title the forms accept (the core applies its own check). */
export const MAX_DOC_TITLE = 200

/** A list's key: a conversation's id, or '' for this device's personal docs. */
/** A list's key: its conversation, or '' for personal docs. */
const scopeOf = (conversationId: ConversationId | null): ConversationId | '' => conversationId ?? ''

/**
 * Whiteboards and notes this window has listed — personal ones and those of conversations it
 * showed — kept current by `docs.changed` (a rename, a sync state, a change by anyone).
 */
class DocsState {
  byId = $state.raw<ReadonlyMap<string, DocView>>(new Map())
  private loaded = $state.raw<ReadonlySet<ConversationId | ''>>(new Set())

  constructor() {
    session.onConnected((api) => {
      api.on('docs.changed', (doc) => { this.upsert(doc) })
      // After a reconnect the lists shown before are fetched again; others load when shown.
      const shown = [...this.loaded]
      this.loaded = new Set()
      for (const scope of shown) void this.load(scope === '' ? null : scope).catch(() => { /* the list shows its own error when opened */ })
    })
  }

  /** A conversation's docs, or the personal ones (`null`), most recently changed first. */
  listOf(conversationId: ConversationId | null): DocView[] {
    return [...this.byId.values()]
      .filter((d) => (d.conversationId ?? null) === conversationId)
      .sort((a, b) => b.updatedAt - a.updatedAt)
  }

  isLoaded(conversationId: ConversationId | null): boolean {
    return this.loaded.has(scopeOf(conversationId))
  }

  async load(conversationId: ConversationId | null): Promise<void> {
    const list = await session.api.call('docs.list', conversationId === null ? {} : { conversationId })
    this.byId = withEntries(this.byId, list.map((d) => [d.id, d] as const))
    this.loaded = new Set([...this.loaded, scopeOf(conversationId)])
  }

  /** Creates a doc and opens it. */
  async create(kind: DocKind, title: string, conversationId: ConversationId | null): Promise<void> {
    const doc = await session.api.call('docs.create', { kind, title: title.trim(), ...(conversationId === null ? {} : { conversationId }) })
    this.upsert(doc)
    navigation.openDoc(doc.id)
  }

  async rename(docId: DocId, title: string): Promise<void> {
    this.upsert(await session.api.call('docs.rename', { docId, title: title.trim() }))
  }

  upsert(doc: DocView): void {
    this.byId = withEntries(this.byId, [[doc.id, doc]])
  }
}

export const docs = new DocsState()
