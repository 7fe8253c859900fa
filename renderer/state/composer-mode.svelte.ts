import { SvelteMap } from 'svelte/reactivity'
import type { ConversationId, MessageView } from '../../src/api/contract'

/** What the composer of a conversation is doing besides writing a new message. */
export type ComposerMode = { kind: 'reply'; message: MessageView } | { kind: 'edit'; message: MessageView }

/**
 * Per conversation: replying to a message or editing one. Kept per conversation (not in the
 * composer), so switching away and back finds it as it was, and the reply never goes elsewhere.
 */
class ComposerModes {
  private readonly modes = new SvelteMap<ConversationId, ComposerMode>()

  get(conversationId: ConversationId): ComposerMode | undefined {
    return this.modes.get(conversationId)
  }

  reply(message: MessageView): void {
    this.modes.set(message.conversationId, { kind: 'reply', message })
  }

  edit(message: MessageView): void {
    this.modes.set(message.conversationId, { kind: 'edit', message })
  }

  clear(conversationId: ConversationId): void {
    this.modes.delete(conversationId)
  }
}

export const composerModes = new ComposerModes()
