import { messageId, parseMessageId } from '../ids.js'
import { hlcToMs } from './hybrid-clock.js'
import { toMessageView, type AppendHook, type MessageLog, type StoredMessage } from './message-log.js'
import { fold } from '../search/fold.js'
import { facet, hasLink, type DocRecord, type IndexedDoc } from '../search/search-doc.js'
import { matchesAll, matchRanges, queryTerms } from '../search/terms.js'
import { snippetOf } from '../search/snippet.js'
import type { AnnotationLog } from './annotation-log.js'
import type { FillSource, IndexStatus, SearchIndex } from '../search/search-index.js'
import type { ConversationId, MessageSearchInput, MessageView, PeerIdString, SearchHit } from '../api/contract.js'

/** What a message is found by: its text (or its newest edit), and a file's name. Null: nothing (recalled). */
export function indexedDocOf(msg: StoredMessage, text = msg.text): IndexedDoc | null {
  if (msg.erased === true) return null
  return {
    ref: messageId(msg.conv, msg.author, msg.seq),
    conv: msg.conv,
    author: msg.author,
    at: hlcToMs(msg.hlc),
    text: msg.file === undefined ? text : `${text}\n${msg.file.name}`,
    ...(msg.file === undefined ? {} : { file: true }),
    ...(msg.mentions === undefined ? {} : { mentions: msg.mentions }),
    ...(msg.all === true ? { all: true } : {})
  }
}

/** The history of the message log as the index takes it: each hour's messages as they read now (edited, not recalled). */
export function historySource(messages: MessageLog, annotations: AnnotationLog): FillSource {
  return {
    groups: () => messages.hourGroups().map((g) => ({ id: g.conv, hour: g.hour })),
    read: async (groups) => {
      const hours = await Promise.all(groups.map((g) => messages.readHour(g.id as StoredMessage['conv'], g.hour)))
      const byConv = new Map<StoredMessage['conv'], StoredMessage[]>()
      for (const hour of hours) {
        for (const { msg } of hour) {
          const list = byConv.get(msg.conv)
          if (list === undefined) byConv.set(msg.conv, [msg])
          else list.push(msg)
        }
      }
      const docs = await Promise.all([...byConv].map(async ([conv, list]) => {
        const anns = await annotations.get(conv, list)
        return list.flatMap((msg, i) => {
          const ann = anns[i]
          if (ann?.recalled !== undefined) return []
          const doc = indexedDocOf(msg, ann?.edits.at(-1)?.text ?? msg.text)
          return doc === null ? [] : [doc]
        })
      }))
      return docs.flat()
    }
  }
}

/** Index pages read to fill one page of hits when some turn out stale (edited or recalled since). */
const MAX_ROUNDS = 4

export interface MessageSearchDeps {
  index: SearchIndex | null
  messages: MessageLog
  decorate: (views: MessageView[]) => Promise<MessageView[]>
  self: PeerIdString
}

export interface MessageSearchResult {
  hits: SearchHit[]
  next: string | null
  /** The query names no term long enough to look up (one character) and no filter. */
  tooShort: boolean
  index: IndexStatus
}

/**
 * Searching this device's messages: the index proposes, the stored message decides. Each hit is
 * read back and decorated as the conversation shows it; one recalled or edited since it was
 * indexed is dropped, so the index may lag but never shows what the user would not see.
 */
export function createMessageSearch({ index, messages, decorate, self }: MessageSearchDeps): (input: MessageSearchInput) => Promise<MessageSearchResult> {
  return async (input) => {
    if (index === null) return { hits: [], next: null, tooShort: false, index: { state: 'ready', done: 0, total: 0 } }
    const terms = queryTerms(input.query)
    const groups: string[][] = terms.flatMap((t) => t.tokens.map((k) => [k]))
    const has = new Set(input.has ?? [])
    if (input.conversationId !== undefined) groups.push([facet.in(input.conversationId)])
    if (input.from !== undefined && input.from.length > 0) groups.push(input.from.map(facet.from))
    if (has.has('file')) groups.push([facet.file])
    if (has.has('link')) groups.push([facet.link])
    if (input.mentionsMe === true) groups.push([facet.mentions(self), facet.everyone])
    if (groups.length === 0) return { hits: [], next: null, tooShort: terms.length > 0, index: index.status() }
    // An old DM's messages are found where they moved (dm-migration.ts), not twice.
    const check = (d: DocRecord): boolean => d.d !== 1 && matchesAll(d.t, terms) && messages.conversation(d.c as ConversationId)?.movedTo === undefined &&
      (input.conversationId === undefined || d.c === input.conversationId) &&
      (input.from === undefined || input.from.length === 0 || input.from.includes(d.a as PeerIdString)) &&
      (!has.has('file') || d.f === 1) && (!has.has('link') || hasLink(d)) &&
      (input.mentionsMe !== true || d.all === 1 || d.m?.includes(self) === true)
    const limit = Math.min(Math.max(input.limit ?? 20, 1), 200)
    const hits: SearchHit[] = []
    const shown = new Set<string>()
    let below = input.cursor === undefined ? undefined : Number(input.cursor)
    let next: number | null = null
    for (let round = 0; round < MAX_ROUNDS && hits.length < limit; round++) {
      const page = await index.query({ groups, check, limit: limit - hits.length, ...(below === undefined ? {} : { below }), ...(input.after === undefined ? {} : { after: input.after }), ...(input.before === undefined ? {} : { before: input.before }) })
      const found = await Promise.all(page.hits.map(async (h) => {
        const { conv, author, seq } = parseMessageId(h.record.r)
        const stored = await messages.find(conv, author, seq)
        return stored === undefined ? undefined : toMessageView(stored.msg, stored.key, messages.conversation(conv))
      }))
      const views = await decorate(found.filter((v): v is MessageView => v !== undefined))
      for (const view of views) {
        const text = view.file === undefined ? view.text : `${view.text}\n${view.file.name}`
        if (view.recalled !== undefined || shown.has(view.id) || !matchesAll(fold(text), terms)) continue
        shown.add(view.id)
        hits.push({ message: view, ...snippetOf(view.text, terms), ...(view.file === undefined ? {} : { fileHighlights: matchRanges(view.file.name, terms) }) })
      }
      next = page.next
      if (next === null) break
      below = next
    }
    // Numbered as they arrived, which is nearly time order: within a page, exactly so.
    hits.sort((x, y) => (x.message.order < y.message.order ? 1 : -1))
    return { hits, next: next === null ? null : String(next), tooShort: false, index: index.status() }
  }
}

/** What the message log calls for each message it stores: indexed in the same batch. */
export function indexOnAppend(index: SearchIndex | null): AppendHook | undefined {
  if (index === null) return undefined
  return (batch, _key, msg) => {
    const doc = indexedDocOf(msg)
    if (doc !== null) index.add(batch, doc)
  }
}
