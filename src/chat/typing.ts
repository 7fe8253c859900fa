import { EnclaveError, errorMessage } from '../errors.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { ConversationRecord } from './message-log.js'

/** This device says it is typing at most this often per conversation; shells show it for a little longer. */
export const TYPING_EVERY_MS = 3_000
/** A member's "typing" shown at most this often here, whatever it sends. */
const HEARD_EVERY_MS = 1_000

/**
 * Typing indicators. They are fleeting, so nothing is stored and nothing goes through mailboxes
 * or MLS: a `typing` request on the group protocol to each member connected now (the stream is
 * Noise-encrypted and authenticated as that device; only the conversation's members are heard).
 */
export interface Typing {
  /** This device's person is typing here: tell the members connected now (at most every 3 s). */
  typing(record: ConversationRecord): void
  /** A device says it is typing in `conv`: shown if it is a member there. */
  heard(from: PeerIdString, conv: ConversationId): void
}

export function createTyping(ctx: ChatContext, tell: (peer: PeerIdString, conv: ConversationId) => Promise<void>): Typing {
  const { self, emit, log, messages } = ctx
  const sentAt = new Map<ConversationId, number>()
  const heardAt = new Map<string, number>()
  return {
    typing: (record) => {
      const now = Date.now()
      if (record.status !== 'active' || now - (sentAt.get(record.id) ?? 0) < TYPING_EVERY_MS) return
      sentAt.set(record.id, now)
      const connected = new Set(ctx.components.connectedPeers())
      for (const peer of record.members) {
        if (peer === self || !connected.has(peer)) continue
        tell(peer, record.id).catch((err: unknown) => { log.debug('could not say this device is typing', { peer, error: errorMessage(err) }) })
      }
    },
    heard: (from, conv) => {
      const record = messages.conversation(conv)
      if (record?.status !== 'active' || !record.members.includes(from) || from === self) throw new EnclaveError('not-member', 'not a member of that conversation')
      const key = `${conv} ${from}`
      const now = Date.now()
      if (now - (heardAt.get(key) ?? 0) < HEARD_EVERY_MS) return
      heardAt.set(key, now)
      // Forgotten entries keep the map small: one per member typing in the last seconds.
      if (heardAt.size > 1_000) for (const [k, at] of heardAt) if (now - at > TYPING_EVERY_MS) heardAt.delete(k)
      emit('chat.typing', { conversationId: conv, peerId: from })
    }
  }
}
