import { parseConversationId } from '../ids.js'
import type { ConversationId, DraftView, Emit } from '../api/contract.js'
import type { Collection } from '../store/store.js'

/** Drafts kept at most; past it the oldest goes (a draft nobody touched in months, in practice). @default 500 */
export const MAX_DRAFTS = 500

interface DraftRecord {
  text: string
  updatedAt: number
}

export interface Drafts {
  list(): Promise<DraftView[]>
  /** Keeps `text` as the conversation's draft; empty text removes it. */
  set(conversationId: ConversationId, text: string): Promise<DraftView>
}

export interface DraftsComponents {
  /**
   * The store's `drafts` collection: sealed like messages, and keyed by conversation id, which
   * the store hides (src/store/key-layout.ts) as it hides every id.
   */
  drafts: Collection<DraftRecord>
  /** `drafts.changed` to every shell, so another open window shows the same draft. */
  emit: Emit
  now?: () => number
}

/**
 * Unsent text per conversation, kept by the core rather than by each window: it survives a
 * restart of the node or of the window, shows in any other window or browser tab of this
 * device, and is sealed in the store instead of lying in a browser profile in the clear.
 */
export function createDrafts({ drafts, emit, now = Date.now }: DraftsComponents, init: { maxDrafts?: number } = {}): Drafts {
  const maxDrafts = init.maxDrafts ?? MAX_DRAFTS
  const all = async (): Promise<DraftView[]> => {
    const list: DraftView[] = []
    for await (const [key, record] of drafts.entries()) {
      list.push({ conversationId: parseConversationId(key), text: record.text, updatedAt: record.updatedAt })
    }
    return list
  }

  // One change at a time: the count check and the write must not interleave with another set.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn)
    queue = next.catch(() => undefined)
    return next
  }

  return {
    list: async () => (await all()).sort((a, b) => b.updatedAt - a.updatedAt),
    set: (conversationId, text) => serial(async () => {
      const key: string = conversationId
      const view: DraftView = { conversationId, text, updatedAt: now() }
      if (text.length === 0) {
        await drafts.del(key)
      } else {
        await drafts.put(key, { text, updatedAt: view.updatedAt })
        const kept = await all()
        if (kept.length > maxDrafts) {
          const oldest = kept.sort((a, b) => a.updatedAt - b.updatedAt).slice(0, kept.length - maxDrafts)
          for (const d of oldest) await drafts.del(d.conversationId)
        }
      }
      emit('drafts.changed', view)
      return view
    })
  }
}
