import type { ConversationId } from '../../src/api/contract'
import { withEntries, withoutKey } from './readonly-collections'

const KEY = 'enclave.drafts'

/** Unsent text per conversation, kept across conversation switches and reloads. */
class DraftsState {
  private drafts = $state.raw<ReadonlyMap<string, string>>(load())

  get(conversationId: ConversationId): string {
    return this.drafts.get(conversationId) ?? ''
  }

  set(conversationId: ConversationId, text: string): void {
    const next = text.length === 0 ? withoutKey(this.drafts, conversationId) : withEntries(this.drafts, [[conversationId, text]])
    this.drafts = next
    localStorage.setItem(KEY, JSON.stringify(Object.fromEntries(next)))
  }
}

function load(): Map<string, string> {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown
    if (typeof value !== 'object' || value === null) return new Map()
    return new Map(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return new Map()
  }
}

export const drafts = new DraftsState()
