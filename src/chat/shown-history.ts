import { MAX_HISTORY_PAGE } from '../limits.js'
import { orderOf, toMessageView, type ConversationRecord, type HistoryQuery, type MessageLog, type StoredMessage } from './message-log.js'
import type { MessageView } from '../api/contract.js'

/**
 * A page of a conversation as it shows: thread replies live in their thread (`chat.thread`), not
 * here, unless sent to both, so pages are read until `limit` shown ones are found, or 20 pages (a
 * thread-heavy stretch). Backwards from `before` (newest first), or forwards from `after`.
 */
export async function shownHistory(messages: MessageLog, record: ConversationRecord, query: HistoryQuery, decorate: (views: MessageView[]) => Promise<MessageView[]>): Promise<MessageView[]> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_HISTORY_PAGE)
  const shown: Array<{ key: string; msg: StoredMessage }> = []
  const forwards = query.after !== undefined
  let from = query.after ?? query.before
  for (let round = 0; round < 20 && shown.length < limit; round++) {
    const page = await messages.history(record.id, { limit, ...(from === undefined ? {} : forwards ? { after: from } : { before: from }) })
    const kept = page.filter(({ msg }) => msg.thread === undefined || msg.echo === true)
    if (forwards) shown.push(...kept)
    else shown.unshift(...kept)
    const edge = forwards ? page.at(-1) : page[0]
    if (edge === undefined || page.length < limit) break
    from = orderOf(edge.key)
  }
  return decorate((forwards ? shown.slice(0, limit) : shown.slice(-limit)).map(({ key, msg }) => toMessageView(msg, key, record)))
}
