import { SvelteMap } from 'svelte/reactivity'
import { session } from './session.svelte'
import type { ConversationId, PeerIdString } from '../../src/api/contract'

/** How long "typing…" stays after the last word from a member (they say it every 3 s while typing). */
const SHOWN_MS = 5_000
/** This device says it is typing at most this often (the core would drop the rest). */
const SAY_EVERY_MS = 3_000

/** Who is typing where, as members' devices tell this one; gone when they send or go quiet. */
class TypingState {
  private readonly byConversation = new SvelteMap<ConversationId, ReadonlyMap<PeerIdString, number>>()
  private readonly saidAt = new Map<ConversationId, number>()
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor() {
    session.onConnected((api) => {
      this.byConversation.clear()
      api.on('chat.typing', ({ conversationId, peerId }) => { this.set(conversationId, peerId, Date.now() + SHOWN_MS) })
      api.on('chat.messageAdded', (m) => { if (!m.mine) this.set(m.conversationId, m.author, 0) })
    })
  }

  /** Devices typing in a conversation now. */
  who(conversationId: ConversationId): PeerIdString[] {
    return [...this.byConversation.get(conversationId)?.keys() ?? []]
  }

  /** This person typed in the conversation (the composer calls it on input). */
  say(conversationId: ConversationId): void {
    const now = Date.now()
    if (now - (this.saidAt.get(conversationId) ?? 0) < SAY_EVERY_MS) return
    this.saidAt.set(conversationId, now)
    session.api.call('chat.typing', { conversationId }).catch(() => undefined)
  }

  private set(conversationId: ConversationId, peer: PeerIdString, until: number): void {
    // A fresh map each time (read-only once stored): the SvelteMap around them is what reacts.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const next = new Map(this.byConversation.get(conversationId) ?? [])
    if (until === 0) next.delete(peer)
    else next.set(peer, until)
    if (next.size === 0) this.byConversation.delete(conversationId)
    else this.byConversation.set(conversationId, next)
    this.schedule()
  }

  /** Drops entries past their time, waking only while someone is shown typing. */
  private schedule(): void {
    clearTimeout(this.timer)
    const ends = [...this.byConversation.values()].flatMap((m) => [...m.values()])
    if (ends.length === 0) return
    this.timer = setTimeout(() => {
      const now = Date.now()
      for (const [conv, m] of this.byConversation) {
        const left = new Map([...m].filter(([, until]) => until > now))
        if (left.size === 0) this.byConversation.delete(conv)
        else if (left.size !== m.size) this.byConversation.set(conv, left)
      }
      this.schedule()
    }, Math.max(50, Math.min(...ends) - Date.now()))
  }
}

export const typing = new TypingState()
