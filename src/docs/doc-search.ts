import { createHash } from 'node:crypto'
import { errorMessage } from '../errors.js'
import { fold } from '../search/fold.js'
import { facet, type DocRecord as IndexRecord, type IndexedDoc } from '../search/search-doc.js'
import { snippetOf } from '../search/snippet.js'
import { matchesAll, queryTerms, type Term } from '../search/terms.js'
import { docText } from './doc-text.js'
import type { ConversationId, DocId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { FillSource, SearchIndex } from '../search/search-index.js'
import type { Store } from '../store/store.js'
import type { DocRecord, DocStore } from './doc-store.js'

/**
 * Notes' and boards' text in the search index. A doc's text is cut into parts of about
 * PART_CHARS at line ends, each indexed as a document of its own (`<doc id>#<n>`), so a long
 * note stays within the index's tokens per document and an edit re-indexes only the parts it
 * changed (a hash of each indexed part is kept, sealed, per doc). Edits arrive by keystroke:
 * a doc is indexed again once it has been quiet for REINDEX_MS, not on every update.
 */
const PART_CHARS = 1_500
/** A line longer than a part is cut with this much overlap, so a phrase across the cut is found. */
const OVERLAP = 64
const REINDEX_MS = 3_000
/** Index pages read to find a page of docs (several parts of one doc count once). */
const MAX_ROUNDS = 4
/** Parts read per word when a doc's words may be in different parts (see `spread`). */
const SPREAD_PARTS = 1_024
/** Docs' texts kept after a search or an indexing read them (200,000 characters at most each). */
const MAX_TEXTS = 16

export interface DocHitText {
  id: DocId
  /** The doc's text around the first match (empty when only its title matched). */
  snippet: string
  highlights: Array<[number, number]>
}

export interface DocSearch {
  /** A doc changed (here or by a member): its text is indexed again once it has been quiet. */
  changed(id: DocId): void
  /** Docs whose text has every word of `query`, newest parts first. */
  find(input: { query: string; conversationId?: ConversationId; limit: number }): Promise<DocHitText[]>
  /** Every doc's text, for an index built afresh (an upgrade, a damaged index). */
  source: FillSource
  /** Indexes the docs changed and not indexed yet, now. */
  stop(): Promise<void>
}

export interface DocSearchDeps {
  index: SearchIndex
  store: Store
  docs: DocStore
  log: Logger
  /** Docs this device may show (a guest sees none of its workspace channel's). */
  visible: (r: DocRecord) => boolean
}

/** A doc's text as indexed: its title first, then its lines, cut into parts. */
export function textParts(title: string, text: string): string[] {
  const parts: string[] = []
  let current = ''
  for (const line of `${title}\n${text}`.split('\n')) {
    const pieces: string[] = []
    for (let at = 0; at === 0 || at < line.length; at += PART_CHARS - OVERLAP) pieces.push(line.slice(at, at + PART_CHARS))
    for (const piece of pieces) {
      if (current !== '' && current.length + 1 + piece.length > PART_CHARS) {
        parts.push(current)
        current = ''
      }
      current = current === '' ? piece : `${current}\n${piece}`
    }
  }
  if (current.trim() !== '') parts.push(current)
  return parts
}

const partRef = (id: DocId, n: number): string => `${id}#${n}`
const docOfRef = (ref: string): DocId => ref.slice(0, ref.lastIndexOf('#')) as DocId
const hashOf = (text: string): string => createHash('sha256').update(text).digest('base64').slice(0, 16)

function kindOf(meta: Record<string, unknown> | undefined): 'note' | 'board' {
  return meta?.kind === 'note' ? 'note' : 'board'
}
const titleOf = (meta: Record<string, unknown> | undefined): string => (typeof meta?.title === 'string' ? meta.title : '')

export function createDocSearch({ index, store, docs, log, visible }: DocSearchDeps): DocSearch {
  /** Per doc, a hash of each part as last indexed: an edit re-indexes only the parts that differ. */
  const indexed = store.collection<string[]>('docSearch')
  const timers = new Map<DocId, NodeJS.Timeout>()
  let chain: Promise<unknown> = Promise.resolve()

  /** Texts recently read, by doc and its update count: a search confirms the same docs again and again. */
  const texts = new Map<DocId, { seq: number; title: string; body: string }>()
  /** A doc's title and text now. */
  const textOf = async (r: DocRecord): Promise<{ title: string; body: string }> => {
    const known = texts.get(r.id)
    if (known?.seq === r.seq) return known
    const doc = await docs.load(r.id)
    const meta = doc.getMap<unknown>('meta').toJSON()
    const read = { seq: r.seq, title: titleOf(meta), body: docText(doc, kindOf(meta)) }
    texts.delete(r.id)
    texts.set(r.id, read)
    if (texts.size > MAX_TEXTS) texts.delete(texts.keys().next().value as DocId)
    return read
  }
  const partsOf = async (r: DocRecord): Promise<string[]> => {
    const { title, body } = await textOf(r)
    return textParts(title, body)
  }
  const indexedDoc = (r: DocRecord, n: number, text: string): IndexedDoc =>
    ({ ref: partRef(r.id, n), conv: r.conversationId ?? '', author: '', at: r.updatedAt, text, doc: true })

  const reindex = async (id: DocId): Promise<void> => {
    const r = docs.get(id)
    if (r === undefined) return
    const parts = await partsOf(r)
    const hashes = parts.map(hashOf)
    const before = await indexed.get(id) ?? []
    const batch = store.batch()
    for (const [n, text] of parts.entries()) if (before[n] !== hashes[n]) await index.replace(batch, indexedDoc(r, n, text))
    for (let n = parts.length; n < before.length; n++) await index.remove(batch, partRef(id, n))
    batch.put(indexed, id, hashes)
    await batch.write()
  }
  /**
   * The index proposes, the doc decides: a part indexed before the doc's last edit may be stale.
   * The part the index named (if any) is checked first, so a long doc is not folded whole for
   * each search; when edits moved the words, or they lie in different parts, the whole doc is.
   */
  const confirm = async (id: DocId, terms: Term[], n: number | null): Promise<DocHitText | null> => {
    const r = docs.get(id)
    if (r === undefined || !visible(r)) return null
    const { title, body } = await textOf(r)
    const part = n === null ? undefined : textParts(title, body)[n]
    const around = part !== undefined && matchesAll(fold(part), terms)
      ? snippetOf(n === 0 ? part.slice(part.indexOf('\n') + 1) : part, terms)
      : matchesAll(fold(`${title}\n${body}`), terms) ? snippetOf(body, terms) : null
    if (around === null) return null
    return { id, ...(around.highlights.length > 0 ? around : { snippet: '', highlights: [] }) }
  }

  /** Docs with a part holding each word (every word somewhere, not all in one part), newest first. */
  const spread = async (terms: Term[], conversationId: ConversationId | undefined, inPlace: string[][]): Promise<DocId[]> => {
    let common: Set<DocId> | undefined
    for (const term of terms) {
      const found = new Set<DocId>()
      let below: number | undefined
      for (let read = 0; read < SPREAD_PARTS;) {
        const check = (d: IndexRecord): boolean => d.d === 1 && (conversationId === undefined || d.c === conversationId) && matchesAll(d.t, [term])
        const page = await index.query({ groups: [...term.tokens.map((k) => [k]), [facet.doc], ...inPlace], check, limit: 256, ...(below === undefined ? {} : { below }) })
        for (const { record } of page.hits) {
          const id = docOfRef(record.r)
          if (common === undefined || common.has(id)) found.add(id)
        }
        read += page.hits.length
        if (page.next === null || page.hits.length === 0) break
        below = page.next
      }
      common = found
      if (common.size === 0) return []
    }
    return [...common ?? []].sort((a, b) => (docs.get(b)?.updatedAt ?? 0) - (docs.get(a)?.updatedAt ?? 0))
  }

  const queue = (id: DocId): void => {
    timers.delete(id)
    chain = chain.then(() => reindex(id)).catch((err: unknown) => { log.warn('could not index a doc\'s text', { doc: id, error: errorMessage(err) }) })
  }

  return {
    changed: (id) => {
      clearTimeout(timers.get(id))
      timers.set(id, setTimeout(() => { queue(id) }, REINDEX_MS).unref())
    },

    find: async ({ query, conversationId, limit }) => {
      const terms = queryTerms(query)
      if (terms.length === 0 || terms.some((t) => t.tokens.length === 0)) return []
      const inPlace = conversationId === undefined ? [] : [[facet.in(conversationId)]]
      const check = (d: IndexRecord): boolean => d.d === 1 && (conversationId === undefined || d.c === conversationId) && matchesAll(d.t, terms)
      const hits: DocHitText[] = []
      const seen = new Set<DocId>()
      let below: number | undefined
      for (let round = 0; round < MAX_ROUNDS && hits.length < limit; round++) {
        const page = await index.query({ groups: [...terms.flatMap((t) => t.tokens.map((k) => [k])), [facet.doc], ...inPlace], check, limit: limit * 4, ...(below === undefined ? {} : { below }) })
        for (const { record } of page.hits) {
          const id = docOfRef(record.r)
          if (seen.has(id)) continue
          seen.add(id)
          const hit = await confirm(id, terms, Number(record.r.slice(record.r.lastIndexOf('#') + 1)))
          if (hit !== null) hits.push(hit)
          if (hits.length >= limit) break
        }
        if (page.next === null) break
        below = page.next
      }
      // Words a long doc holds in different parts: no one part has them all.
      if (hits.length < limit && terms.length > 1) {
        for (const id of await spread(terms, conversationId, inPlace)) {
          if (seen.has(id)) continue
          seen.add(id)
          const hit = await confirm(id, terms, null)
          if (hit !== null) hits.push(hit)
          if (hits.length >= limit) break
        }
      }
      return hits
    },

    source: {
      groups: () => docs.list().map((r) => ({ id: r.id, hour: Math.floor(r.updatedAt / 3_600_000) })),
      read: async (groups) => {
        const out: IndexedDoc[] = []
        for (const g of groups) {
          const r = docs.get(g.id)
          if (r === undefined) continue
          for (const [n, text] of (await partsOf(r)).entries()) out.push(indexedDoc(r, n, text))
        }
        return out
      }
    },

    stop: async () => {
      for (const [id, timer] of timers) {
        clearTimeout(timer)
        queue(id)
      }
      await chain
    }
  }
}
