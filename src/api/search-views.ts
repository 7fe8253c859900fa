/**
 * The API's views of search: part of the contract (which re-exports them), kept in a file of
 * their own to keep contract.ts readable.
 */
import type { ConversationId, PeerIdString } from './api-ids.js'
import type { MessageView } from './message-views.js'
import type { DocView } from './doc-views.js'

/** What `search.query` looks for, beyond its words: every filter narrows. */
export interface MessageSearchInput {
  /** Words (found as word beginnings), Chinese (any two or more characters), emoji. */
  query: string
  conversationId?: ConversationId
  /** Sent by any of these devices. */
  from?: PeerIdString[]
  /** Sent at or after / before (ms). */
  after?: number
  before?: number
  has?: Array<'file' | 'link'>
  mentionsMe?: boolean
  /** Hits per page. @default 20, at most 200 */
  limit?: number
  /** The `next` of the previous page. */
  cursor?: string
}

export interface SearchHit {
  /** As the conversation shows it now. */
  message: MessageView
  /** The text around the first match, as plain text (no markdown marks). */
  snippet: string
  /** [start, end) ranges of `snippet` that matched. */
  highlights: Array<[number, number]>
  /** [start, end) ranges of the file's name that matched. */
  fileHighlights?: Array<[number, number]>
}

/** A note or board found by its title or its text. */
export interface DocSearchHit {
  doc: DocView
  /** The doc's text around the first match, as plain text; empty when only the title matched. */
  snippet: string
  /** [start, end) ranges of `snippet` that matched. */
  highlights: Array<[number, number]>
}

/** How far the search index has come: `indexing` an older store's history, `rebuilding` a damaged index. */
export interface SearchIndexView {
  state: 'ready' | 'indexing' | 'rebuilding'
  /** Parts of history done and in all (a conversation's hour each). */
  done: number
  total: number
}

export type SearchKind = 'messages' | 'files' | 'docs' | 'channels' | 'people'
