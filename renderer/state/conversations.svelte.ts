import { navigation } from './navigation.svelte'
import { session } from './session.svelte'
import type { ConversationView } from '../../src/api/contract'

/** The conversation list, unread counts and which conversation is open. */
class ConversationsState {
  byId = $state.raw<ReadonlyMap<string, ConversationView>>(new Map())
  selectedId = $state<string | null>(null)
  /** Newest activity first; empty conversations last. */
  list = $derived([...this.byId.values()].sort((a, b) => (b.lastMessage?.order ?? '').localeCompare(a.lastMessage?.order ?? '')))
  selected = $derived(this.selectedId === null ? null : this.byId.get(this.selectedId) ?? null)
  totalUnread = $derived([...this.byId.values()].reduce((n, c) => n + c.unread, 0))

  constructor() {
    session.onConnected((api) => {
      api.on('conversations.changed', (c) => { this.upsert(c) })
      api.on('shell.linkOpened', (target) => {
        if (target.kind === 'conversation') this.select(target.conversationId)
        else void this.openWith(target.peerId)
      })
      void api.call('conversations.list', {}).then((list) => { this.byId = new Map(list.map((c) => [c.id, c])) })
    })
  }

  upsert(c: ConversationView): void {
    const next = new Map(this.byId)
    next.set(c.id, c)
    this.byId = next
    // Whatever arrives in the conversation the user is looking at is read.
    if (c.id === this.selectedId && c.unread > 0 && document.visibilityState === 'visible') this.markRead(c.id)
  }

  /** Shows a conversation, switching the main area to chats (from the directory, a link, a key). */
  select(id: string | null): void {
    this.selectedId = id
    if (id === null) return
    navigation.show('chats')
    this.markRead(id)
  }

  /** Opens (creating if needed) the direct conversation with a person. */
  async openWith(peerId: string): Promise<void> {
    const c = await session.api.call('conversations.open', { peerId })
    this.upsert(c)
    this.select(c.id)
  }

  /** Selects the conversation `step` places away in the list (keyboard navigation). */
  move(step: number): void {
    if (this.list.length === 0) return
    const at = this.list.findIndex((c) => c.id === this.selectedId)
    const next = this.list[Math.min(this.list.length - 1, Math.max(0, at < 0 ? 0 : at + step))]
    if (next !== undefined) this.select(next.id)
  }

  private marking = new Set<string>()

  markRead(id: string): void {
    const c = this.byId.get(id)
    if (c === undefined || c.unread === 0 || this.marking.has(id)) return
    this.marking.add(id)
    void session.api.call('chat.markRead', { conversationId: id })
      .then((updated) => { this.marking.delete(id); this.upsert(updated) }, () => { this.marking.delete(id) })
  }
}

export const conversations = new ConversationsState()
