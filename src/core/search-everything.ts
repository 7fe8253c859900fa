import { createDirectoryIndex, type DirectoryIndex } from '../org/directory-search.js'
import { fold } from '../search/fold.js'
import type { ChatService } from '../chat/chat-service.js'
import type { DocsService } from '../docs/docs-service.js'
import type { WorkspaceService } from '../org/workspace-service.js'
import type { Collection } from '../store/store.js'
import type { ConversationView, DocSearchHit, MemberView, MessageSearchInput, SearchKind, SearchResults } from '../api/contract.js'

/** Recent searches kept (sealed, on this device). */
const MAX_RECENT = 10
/** Channels, docs and people listed per search. */
const MAX_NAMED = 8
const ALL_KINDS: readonly SearchKind[] = ['messages', 'files', 'docs', 'channels', 'people']

export interface SearchEverything {
  query(input: MessageSearchInput & { kinds?: SearchKind[]; remember?: boolean }): Promise<SearchResults>
  recent(): Promise<string[]>
  forgetRecent(): Promise<string[]>
}

export interface SearchEverythingDeps {
  chat: Pick<ChatService, 'search' | 'searchIndex' | 'conversations'>
  docs: Pick<DocsService, 'list' | 'search'>
  workspaces: Pick<WorkspaceService, 'list' | 'search'>
  /** Where the recent searches are kept (`searchState`). */
  state: Collection<string[]>
}

/**
 * `search.query`: messages and files from the sealed index (chat/message-search.ts), and what
 * has a name (channels, people, docs) matched by name, pinyin and initials, as the directory
 * does. Channel names are indexed as the directory indexes people, kept while their names stay.
 */
export function createSearchEverything({ chat, docs, workspaces, state }: SearchEverythingDeps): SearchEverything {
  const channels: DirectoryIndex = createDirectoryIndex()
  const channelNames = new Map<string, string>()

  const findChannels = (all: ConversationView[], query: string): ConversationView[] => {
    const byId = new Map(all.filter((c) => c.kind === 'channel' && c.name !== null).map((c) => [c.id as string, c]))
    for (const [id, c] of byId) {
      if (channelNames.get(id) === c.name) continue
      channels.upsert({ userId: id, name: c.name ?? '', departments: [] })
      channelNames.set(id, c.name ?? '')
    }
    for (const id of channelNames.keys()) if (!byId.has(id)) { channels.remove(id); channelNames.delete(id) }
    return channels.search(query, { limit: MAX_NAMED }).flatMap((hit) => byId.get(hit.userId) ?? [])
  }

  const findPeople = (query: string): MemberView[] => {
    const byUser = new Map<string, MemberView>()
    for (const w of workspaces.list()) {
      for (const m of workspaces.search(w.id, { query, limit: MAX_NAMED })) if (!byUser.has(m.userId)) byUser.set(m.userId, m)
    }
    return [...byUser.values()].slice(0, MAX_NAMED)
  }

  /** Docs by title (any part of it), then by text (from the index), each once. */
  const findDocs = async (all: ConversationView[], query: string, conversationId: MessageSearchInput['conversationId']): Promise<DocSearchHit[]> => {
    const q = fold(query.trim())
    if (q === '') return []
    const lists = await Promise.all([...(conversationId === undefined ? [null] : []), ...all.map((c) => c.id)].map((conv) => docs.list(conv)))
    const titled = lists.flat().filter((d) => fold(d.title).includes(q)).sort((a, b) => b.updatedAt - a.updatedAt).slice(0, MAX_NAMED)
    const byText = await docs.search({ query, limit: MAX_NAMED, ...(conversationId === undefined ? {} : { conversationId }) })
    const named = new Set(titled.map((d) => d.id))
    return [...titled.map((doc) => ({ doc, snippet: '', highlights: [] })), ...byText.filter((h) => !named.has(h.doc.id))].slice(0, MAX_NAMED)
  }

  const remember = async (query: string): Promise<void> => {
    const q = query.trim()
    if (q === '') return
    const list = await state.get('recent') ?? []
    await state.put('recent', [q, ...list.filter((r) => r !== q)].slice(0, MAX_RECENT))
  }

  return {
    query: async ({ kinds = [...ALL_KINDS], remember: keep, ...input }) => {
      const wants = new Set(kinds)
      // Sender, attachment, mention and date filters are about messages: with one, only messages are listed.
      const messageFilter = (input.from?.length ?? 0) > 0 || (input.has?.length ?? 0) > 0 || input.mentionsMe === true || input.after !== undefined || input.before !== undefined
      const named = input.query.trim() !== '' && input.cursor === undefined && !messageFilter
      const all = wants.has('channels') || wants.has('docs') ? await chat.conversations() : []
      const found = wants.has('messages') || wants.has('files') ? await chat.search(input) : null
      if (keep === true) await remember(input.query)
      return {
        messages: wants.has('messages') ? found?.hits.filter((h) => h.message.file === undefined) ?? [] : [],
        files: wants.has('files') ? found?.hits.filter((h) => h.message.file !== undefined) ?? [] : [],
        next: found?.next ?? null,
        channels: named && wants.has('channels') && input.conversationId === undefined ? findChannels(all, input.query) : [],
        people: named && wants.has('people') && input.conversationId === undefined ? findPeople(input.query) : [],
        docs: named && wants.has('docs') ? await findDocs(input.conversationId === undefined ? all : all.filter((c) => c.id === input.conversationId), input.query, input.conversationId) : [],
        index: found?.index ?? chat.searchIndex(),
        tooShort: found?.tooShort ?? false
      }
    },
    recent: async () => await state.get('recent') ?? [],
    forgetRecent: async () => {
      await state.del('recent')
      return []
    }
  }
}
