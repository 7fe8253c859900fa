import { messageOf, type ShellLog } from './shell-log.js'
import type { ConversationId, ConversationView } from '../../src/api/contract.js'
import type { ApiClient } from '../../src/api/api-client.js'

export interface UnreadTrackerComponents {
  api: Pick<ApiClient, 'call' | 'on'>
  /** Called with the new total whenever it changes. */
  onChange: (total: number) => void
  log: ShellLog
}

export interface UnreadTracker {
  /** Reloads every conversation's count; call whenever a core (re)started. */
  refresh(): Promise<void>
  readonly total: number
}

/** What a conversation adds to the tray: its unread messages, or of a muted one only its mentions. */
function countOf(c: ConversationView): number {
  return c.muted ? c.mentions : c.unread
}

/** Sums unread messages over all conversations for the tray and badge, from the API's own counts. */
export function createUnreadTracker({ api, onChange, log }: UnreadTrackerComponents): UnreadTracker {
  let counts = new Map<ConversationId, number>()
  let total = 0
  // Changes that arrive while a list is in flight are newer than it: applied on top.
  let during: Map<ConversationId, number> | null = null

  const publish = (): void => {
    let sum = 0
    for (const n of counts.values()) sum += n
    if (sum === total) return
    total = sum
    onChange(total)
  }

  api.on('conversations.changed', (conversation: ConversationView) => {
    counts.set(conversation.id, countOf(conversation))
    during?.set(conversation.id, countOf(conversation))
    publish()
  })

  return {
    refresh: async () => {
      const changes = new Map<ConversationId, number>()
      during = changes
      try {
        const list = await api.call('conversations.list', {})
        counts = new Map(list.map((c) => [c.id, countOf(c)]))
        for (const [id, n] of changes) counts.set(id, n)
        publish()
      } catch (err) {
        log.warn('could not count unread messages', { error: messageOf(err) })
      } finally {
        if (during === changes) during = null
      }
    },
    get total () { return total }
  }
}
