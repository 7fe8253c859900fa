import { setImmediate as yieldToEvents } from 'node:timers/promises'
import { EnclaveError } from '../errors.js'
import { coalescedTask } from '../coalesced-task.js'
import { decodePostings, encodePostings, intersectPostings, unionPostings } from './postings.js'
import { facetsOf, toDocRecord, type DocRecord, type IndexedDoc } from './search-doc.js'
import { textTokens } from './terms.js'
import type { Logger } from '../logger.js'
import type { Collection, Store, StoreBatch } from '../store/store.js'

/**
 * The full-text index of this device's messages, inside the sealed store (docs/search.md).
 *
 * Each message is a numbered document: its folded text sealed under the number (`searchDocs`),
 * and for each of its tokens a posting list naming it (`searchPostings`). A posting key is the
 * keyed hash of the token (store/key-layout.ts), a segment of 65,536 document numbers and a
 * chunk number; the value is the sealed list. Documents are numbered in time order: live ones
 * count up from LIVE_BASE, history indexed afterwards counts down from just below it, newest
 * first, so a query walks segments from the highest down and meets the newest messages first.
 *
 * A live message's document is written in the batch that stores the message: that is the
 * durable queue. Its postings follow in the background, a few thousand documents at a time;
 * until then the documents are searched in memory. After a crash the documents past the
 * indexed cursor are read back into that queue.
 *
 * Every hit is confirmed against its document's text, so posting lists may be stale: an edit
 * writes a new document and drops the old one, a recall drops its documents. What a posting
 * names and no longer exists is passed over.
 */

/** Document numbers of live messages start here; history indexed later counts down from below it. */
const LIVE_BASE = 2 ** 40
/** Documents per segment: a posting list holds offsets in one segment. */
const SEGMENT = 65_536
/** The index's format: another value (or none) drops the index and builds it again (2: docs' text is in it too). */
const INDEX_VERSION = 2
/** Chunks a token's list in one segment may have before they are merged into one. */
const MAX_CHUNKS = 8
/** Live documents held before their postings are written (or FLUSH_MS after the first). */
const FLUSH_DOCS = 2_000
const FLUSH_MS = 2_000
/** Live documents' postings written at most per write (a long queue after a crash or a flood takes several). */
const FLUSH_MAX = 20_000
/** Text of queued live documents held in memory (characters); the rest is read back from disk. */
const PENDING_CHARS = 4_000_000
/** Documents of history indexed per atomic write. */
const FILL_DOCS = 16_384
/** Groups of history read at once. */
const READ_GROUPS = 256
/** Live documents a fill reads the names of at its start; past this it looks each message up instead. */
const MAX_LIVE_NAMED = 100_000
/** Documents confirmed per read. */
const CONFIRM_BATCH = 64

export interface IndexQuery {
  /** Every group must match; a group matches if any of its tokens does. At least one group. */
  groups: readonly (readonly string[])[]
  /** Confirms a document: its terms and filters. */
  check(doc: DocRecord): boolean
  /** Sent within [after, before) (ms): segments wholly outside are skipped. */
  after?: number
  before?: number
  limit: number
  /** Continues below this document number (a page's `next`). */
  below?: number
}

export interface IndexHit { doc: number; record: DocRecord }

export interface IndexStatus {
  /** `indexing`: history of an older store is being added; `rebuilding`: the index was damaged and is made again. */
  state: 'ready' | 'indexing' | 'rebuilding'
  done: number
  total: number
}

/** Where history to index comes from: groups of stored messages (a conversation's hour). */
export interface FillSource {
  /** Parts of history, each of one hour (a conversation's hour of messages, a doc last changed then). */
  groups(): Array<{ id: string; hour: number }>
  /** The messages of several groups (read together: most groups of a long history hold a few messages). */
  read(groups: ReadonlyArray<{ id: string; hour: number }>): Promise<IndexedDoc[]>
}

export interface SearchIndex {
  /** Indexes a new message in the batch that stores it. */
  add(batch: StoreBatch, doc: IndexedDoc): void
  /** An edited message: its new text replaces the old (in `batch`). */
  replace(batch: StoreBatch, doc: IndexedDoc): Promise<void>
  /** A recalled message: its documents go (in `batch`). */
  remove(batch: StoreBatch, ref: string): Promise<void>
  query(q: IndexQuery): Promise<{ hits: IndexHit[]; next: number | null }>
  status(): IndexStatus
  /** Indexes the history `source` holds that is not indexed yet, in the background; resumes after a restart. */
  fill(source: FillSource): void
  /** Writes the postings of every live document queued so far. */
  flush(): Promise<void>
  close(): Promise<void>
}

interface IndexState {
  v: number
  /** Live documents up to this number have their postings written. */
  cursor: number
  /** The next number history gets (counting down). */
  back: number
  /** Groups of history from this hour up are indexed (null: none yet). */
  filledFrom: number | null
  filled: boolean
  /** The next chunk number. */
  chunk: number
  /** Per segment, the earliest and latest message time in it. */
  segs: Record<string, [number, number]>
}

/** New offsets of documents, per segment and token. */
type Lists = Map<number, Map<string, number[]>>

const pad = (n: number, width: number): string => n.toString().padStart(width, '0')
const docKey = (n: number): string => pad(n, 15)
const segOf = (n: number): number => Math.floor(n / SEGMENT)
const tokenSegKey = (token: string, seg: number): string => `${token}!${pad(seg, 9)}`

function freshState(): IndexState {
  return { v: INDEX_VERSION, cursor: LIVE_BASE - 1, back: LIVE_BASE - 1, filledFrom: null, filled: false, chunk: 1, segs: {} }
}

export interface SearchIndexInit {
  store: Store
  log: Logger
  /** Told when the status changes (indexing progress, a rebuild). */
  onStatus?: (status: IndexStatus) => void
  /** Overrides for tests. */
  readGroups?: number
  pendingChars?: number
  flushDocs?: number
  flushMs?: number
}

export async function openSearchIndex(init: SearchIndexInit): Promise<SearchIndex> {
  const { store, log } = init
  const docs: Collection<DocRecord> = store.collection('searchDocs')
  const postings: Collection<Uint8Array> = store.collection('searchPostings')
  const refs: Collection<number[]> = store.collection('searchRefs')
  const meta: Collection<IndexState> = store.collection('searchState')
  const all = [docs, postings, refs, meta] as const

  let state: IndexState = freshState()
  let nextLive = LIVE_BASE
  /** Live documents written whose postings are not: searched by reading them. */
  const pending = new Map<number, DocRecord | null>()
  /** Characters of text `pending` holds; past PENDING_CHARS a queued document stays on disk only (null) and is read back when needed. */
  let pendingChars = 0
  const enqueue = (n: number, record: DocRecord): void => {
    const held = pendingChars + record.t.length <= (init.pendingChars ?? PENDING_CHARS)
    if (held) pendingChars += record.t.length
    pending.set(n, held ? record : null)
  }
  const dequeue = (n: number): void => {
    pendingChars -= pending.get(n)?.t.length ?? 0
    pending.delete(n)
  }
  /** Queued documents' records, from memory or disk (undefined: dropped meanwhile). */
  const queued = async (numbers: number[]): Promise<Array<DocRecord | undefined>> => {
    const out = numbers.map((n) => pending.get(n) ?? undefined)
    const missing = numbers.flatMap((n, i) => (out[i] === undefined ? [i] : []))
    if (missing.length === 0) return out
    const read = await docs.getMany(missing.map((i) => docKey(numbers[i] ?? 0)))
    missing.forEach((i, j) => { out[i] = read[j] })
    return out
  }
  /** Refs put in batches not written yet: what the next edit or recall of the message builds on. */
  const staged = new Map<string, number[]>()
  /** Chunks seen per token and segment, this run: past MAX_CHUNKS the next write merges them. */
  const chunkCounts = new Map<string, number>()
  /** Messages indexed live while history is being filled: the fill passes over them (its reads may predate them). */
  const addedLive = new Set<string>()
  let status: IndexStatus = { state: 'ready', done: 0, total: 0 }
  let source: FillSource | undefined
  let closed = false
  let flushTimer: NodeJS.Timeout | undefined

  const setStatus = (next: IndexStatus): void => {
    status = next
    init.onStatus?.(next)
  }

  const load = async (): Promise<void> => {
    const found = await meta.get('state')
    if (found === undefined || found.v !== INDEX_VERSION) {
      for (const c of all) await c.clear()
      state = freshState()
      await meta.put('state', state)
    } else {
      state = found
    }
    nextLive = LIVE_BASE
    for await (const [key] of docs.entries({ gte: docKey(LIVE_BASE), reverse: true, limit: 1 })) nextLive = Number(key) + 1
    pending.clear()
    pendingChars = 0
    for await (const [key, record] of docs.entries({ gt: docKey(state.cursor) })) enqueue(Number(key), record)
    chunkCounts.clear()
  }

  try {
    await load()
  } catch (err) {
    // Unreadable (damaged, or sealed under another key): dropped and made again from the messages.
    log.warn('search index unreadable; rebuilding it', { error: err instanceof Error ? err.message : String(err) })
    for (const c of all) await c.clear()
    await load()
  }
  if (!state.filled) status = { state: 'indexing', done: 0, total: 0 }

  /**
   * Writes of postings and of the state run one after another: each batch carries the state as
   * it is then, and a later one must not persist a cursor an earlier one has not written yet.
   */
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn)
    chain = run.catch(() => undefined)
    return run
  }

  const readChunks = async (token: string, seg: number): Promise<Array<{ key: string; list: Uint32Array }>> => {
    const base = tokenSegKey(token, seg)
    const out: Array<{ key: string; list: Uint32Array }> = []
    for await (const [key, bytes] of postings.entries({ gte: `${base}!`, lte: `${base}!~` })) out.push({ key, list: decodePostings(bytes) })
    if (out.length > MAX_CHUNKS) chunkCounts.set(base, out.length)
    return out
  }

  /** Puts a token's new offsets of one segment in `batch`, merging its chunks when there are too many. */
  const writeList = async (batch: StoreBatch, token: string, seg: number, offsets: number[]): Promise<void> => {
    const tokenSeg = tokenSegKey(token, seg)
    const sorted = Uint32Array.from(offsets).sort()
    const count = (chunkCounts.get(tokenSeg) ?? 0) + 1
    let list: Uint32Array = sorted
    if (count > MAX_CHUNKS) {
      const chunks = await readChunks(token, seg)
      for (const c of chunks) batch.del(postings, c.key)
      list = unionPostings([...chunks.map((c) => c.list), sorted])
      chunkCounts.set(tokenSeg, 1)
    } else {
      chunkCounts.set(tokenSeg, count)
    }
    batch.put(postings, `${tokenSeg}!${pad(state.chunk++, 10)}`, encodePostings(list))
  }

  const writeLists = async (batch: StoreBatch, lists: Lists): Promise<void> => {
    for (const [seg, bySeg] of lists) for (const [token, offsets] of bySeg) await writeList(batch, token, seg, offsets)
  }

  /** Adds documents' tokens to per-(segment, token) offset lists, and their times to the segments'. */
  const collect = (into: Lists, n: number, record: DocRecord): void => {
    const seg = segOf(n)
    const offset = n - seg * SEGMENT
    let bySeg = into.get(seg)
    if (bySeg === undefined) into.set(seg, bySeg = new Map<string, number[]>())
    for (const token of textTokens(record.t, facetsOf(record))) {
      const list = bySeg.get(token)
      if (list === undefined) bySeg.set(token, [offset])
      else list.push(offset)
    }
    const span = state.segs[seg]
    state.segs[seg] = span === undefined ? [record.at, record.at] : [Math.min(span[0], record.at), Math.max(span[1], record.at)]
  }

  const flushPending = async (): Promise<void> => {
    clearTimeout(flushTimer)
    flushTimer = undefined
    if (pending.size === 0) return
    // The oldest first, at most FLUSH_MAX a write (the cursor says "every one up to here").
    const taken = [...pending.keys()].sort((a, b) => a - b).slice(0, FLUSH_MAX)
    const before = taken.map((n) => pending.get(n))
    const records = await queued(taken)
    const lists: Lists = new Map()
    taken.forEach((n, i) => { const record = records[i]; if (record !== undefined) collect(lists, n, record) })
    const batch = store.batch()
    await writeLists(batch, lists)
    state.cursor = Math.max(state.cursor, taken.at(-1) ?? state.cursor)
    batch.put(meta, 'state', state)
    await batch.write()
    // Kept queued until now: a query meanwhile found them there.
    taken.forEach((n, i) => { if (pending.has(n) && pending.get(n) === before[i]) dequeue(n) })
    if (pending.size > 0) schedule()
  }
  const flusher = coalescedTask(() => serial(flushPending), (err) => { log.warn('search index: could not write postings', { error: err instanceof Error ? err.message : String(err) }) })
  const schedule = (): void => {
    if (closed) return
    if (pending.size >= (init.flushDocs ?? FLUSH_DOCS)) { flusher.run(); return }
    flushTimer ??= setTimeout(() => { flushTimer = undefined; flusher.run() }, init.flushMs ?? FLUSH_MS)
    flushTimer.unref()
  }

  const refsOf = async (ref: string): Promise<number[]> => staged.get(ref) ?? await refs.get(ref) ?? []
  const stageRefs = (batch: StoreBatch, ref: string, list: number[] | null): void => {
    const kept = list ?? []
    staged.set(ref, kept)
    if (list === null) batch.del(refs, ref)
    else batch.put(refs, ref, list)
    batch.afterWrite(() => { if (staged.get(ref) === kept) staged.delete(ref) })
  }
  const dropDocs = (batch: StoreBatch, numbers: number[]): void => {
    for (const n of numbers) batch.del(docs, docKey(n))
    batch.afterWrite(() => { for (const n of numbers) dequeue(n) })
  }
  const add = (batch: StoreBatch, doc: IndexedDoc): void => {
    const n = nextLive++
    const record = toDocRecord(doc)
    batch.put(docs, docKey(n), record)
    stageRefs(batch, doc.ref, [n])
    batch.afterWrite(() => { enqueue(n, record); schedule() })
    if (filling !== undefined) addedLive.add(doc.ref)
  }

  /** Segments from the newest down, as far as documents go. */
  const segments = (): number[] => {
    const top = segOf(Math.max(nextLive - 1, LIVE_BASE))
    const bottom = segOf(Math.min(state.back + 1, LIVE_BASE - 1))
    const out: number[] = []
    for (let s = top; s >= bottom; s--) out.push(s)
    return out
  }

  let rebuilding: Promise<void> | undefined
  let filling: Promise<void> | undefined
  const rebuild = (why: unknown): void => {
    if (rebuilding !== undefined || closed) return
    log.warn('search index damaged; rebuilding it from the messages', { error: why instanceof Error ? why.message : String(why) })
    setStatus({ state: 'rebuilding', done: 0, total: 0 })
    rebuilding = (async () => {
      await filling
      await serial(async () => {
        for (const c of all) await c.clear()
        await load()
      })
      rebuilding = undefined
      if (source !== undefined) startFill(source, 'rebuilding')
    })().catch((err: unknown) => { log.warn('search index: rebuild failed', { error: err instanceof Error ? err.message : String(err) }) })
      .finally(() => { rebuilding = undefined })
  }

  const query = async (q: IndexQuery): Promise<{ hits: IndexHit[]; next: number | null }> => {
    const below = q.below ?? Infinity
    const hits: IndexHit[] = []
    const seen = new Set<number>()
    const inTime = (at: number): boolean => (q.after === undefined || at >= q.after) && (q.before === undefined || at < q.before)
    // The newest live documents, not in the postings yet.
    const newest = [...pending.keys()].filter((n) => n < below).sort((a, b) => b - a)
    for (let i = 0; i < newest.length; i += CONFIRM_BATCH) {
      const part = newest.slice(i, i + CONFIRM_BATCH)
      const records = await queued(part)
      for (let j = 0; j < part.length; j++) {
        const n = part[j] ?? 0
        const record = records[j]
        seen.add(n)
        if (record !== undefined && inTime(record.at) && q.check(record)) hits.push({ doc: n, record })
        if (hits.length >= q.limit) return { hits, next: n }
      }
    }
    for (const seg of segments()) {
      if (seg * SEGMENT >= below) continue
      const span = state.segs[seg]
      if (span === undefined || (q.after !== undefined && span[1] < q.after) || (q.before !== undefined && span[0] >= q.before)) continue
      const lists: Uint32Array[] = []
      for (const group of q.groups) {
        const parts: Uint32Array[] = []
        for (const token of group) parts.push(...(await readChunks(token, seg)).map((c) => c.list))
        const list = unionPostings(parts)
        if (list.length === 0) { lists.length = 0; break }
        lists.push(list)
      }
      if (lists.length === 0) continue
      const found = intersectPostings(lists)
      const numbers: number[] = []
      for (let i = found.length - 1; i >= 0; i--) {
        const n = seg * SEGMENT + (found[i] ?? 0)
        if (n < below && !seen.has(n)) numbers.push(n)
      }
      for (let i = 0; i < numbers.length; i += CONFIRM_BATCH) {
        const part = numbers.slice(i, i + CONFIRM_BATCH)
        const records = await docs.getMany(part.map(docKey))
        for (let j = 0; j < part.length; j++) {
          const record = records[j]
          const n = part[j] ?? 0
          if (record !== undefined && inTime(record.at) && q.check(record)) hits.push({ doc: n, record })
          if (hits.length >= q.limit) return { hits, next: n }
        }
      }
    }
    return { hits, next: null }
  }

  /** Indexes groups of history not indexed yet, newest first, FILL_DOCS documents per atomic write. */
  const runFill = async (src: FillSource, label: IndexStatus['state']): Promise<void> => {
    const groups = src.groups().sort((a, b) => b.hour - a.hour || (a.id < b.id ? -1 : 1))
    const from = state.filledFrom
    const todo = from === null ? groups : groups.filter((g) => g.hour < from)
    let done = groups.length - todo.length
    setStatus({ state: label, done, total: groups.length })
    let lists: Lists = new Map()
    let batch = store.batch()
    let count = 0
    const write = (filledFrom: number | null, filled: boolean): Promise<void> => serial(async () => {
      await writeLists(batch, lists)
      state.filledFrom = filledFrom ?? state.filledFrom
      state.filled = filled
      batch.put(meta, 'state', state)
      await batch.write()
      lists = new Map()
      batch = store.batch()
      count = 0
    })
    // Whole hours at a time, about READ_GROUPS groups: progress is kept as "every group from this hour up".
    const parts: Array<typeof todo> = []
    for (let i = 0; i < todo.length;) {
      let end = Math.min(i + (init.readGroups ?? READ_GROUPS), todo.length)
      while (end < todo.length && todo[end]?.hour === todo[end - 1]?.hour) end++
      parts.push(todo.slice(i, end))
      i = end
    }
    // The next part is read (the store's threads) while this one is tokenized and sealed (this one).
    // Messages indexed live before this run are passed over: named from their documents when
    // there are few (one read instead of a look-up per message), else looked up per part.
    const lookUp = nextLive - LIVE_BASE > MAX_LIVE_NAMED
    if (!lookUp) for await (const [, record] of docs.entries({ gte: docKey(LIVE_BASE) })) addedLive.add(record.r)
    const fetch = (part: typeof todo): Promise<{ found: IndexedDoc[]; known: Array<number[] | undefined> } | { error: unknown }> => (async () => {
      const found = (await src.read(part)).sort((a, b) => b.at - a.at)
      return { found, known: lookUp ? await refs.getMany(found.map((d) => d.ref)) : [] }
    })().catch((error: unknown) => ({ error }))
    let ahead = parts[0] === undefined ? undefined : fetch(parts[0])
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p] ?? []
      const read = await ahead
      if (read === undefined) throw new EnclaveError('internal', 'no read ahead')
      if ('error' in read) throw read.error instanceof Error ? read.error : new EnclaveError('store-error', String(read.error))
      if (closed || rebuilding !== undefined) return
      const next = parts[p + 1]
      ahead = next === undefined ? undefined : fetch(next)
      const { found, known } = read
      for (let j = 0; j < found.length; j++) {
        const doc = found[j]
        if (doc === undefined || known[j] !== undefined || staged.has(doc.ref) || addedLive.has(doc.ref)) continue
        const n = state.back--
        const record = toDocRecord(doc)
        batch.put(docs, docKey(n), record)
        batch.put(refs, doc.ref, [n])
        collect(lists, n, record)
        count++
      }
      done += part.length
      const last = part.at(-1)
      if (count >= FILL_DOCS && last !== undefined && next !== undefined) await write(last.hour, false)
      setStatus({ state: label, done, total: groups.length })
      await yieldToEvents()
    }
    await write(todo.at(-1)?.hour ?? null, true)
    setStatus({ state: 'ready', done: groups.length, total: groups.length })
  }
  const startFill = (src: FillSource, label: IndexStatus['state']): void => {
    if (filling !== undefined) return
    filling = runFill(src, label)
      .catch((err: unknown) => { if (!closed) rebuild(err) })
      .finally(() => { filling = undefined; addedLive.clear() })
  }

  return {
    add,
    replace: async (batch, doc) => {
      dropDocs(batch, await refsOf(doc.ref))
      add(batch, doc)
    },
    remove: async (batch, ref) => {
      dropDocs(batch, await refsOf(ref))
      stageRefs(batch, ref, null)
    },
    query: async (q) => {
      if (q.groups.length === 0) throw new EnclaveError('bad-request', 'a search needs a word, two characters or a filter')
      try {
        return await query(q)
      } catch (err) {
        if (!(err instanceof EnclaveError) || err.code !== 'store-error') throw err
        rebuild(err)
        return { hits: [], next: null }
      }
    },
    status: () => status,
    fill: (src) => {
      source = src
      if (!state.filled) startFill(src, status.state === 'rebuilding' ? 'rebuilding' : 'indexing')
    },
    flush: () => serial(flushPending),
    close: async () => {
      closed = true
      clearTimeout(flushTimer)
      flusher.stop()
      await filling
      await rebuilding
      await serial(flushPending).catch(() => undefined)
    }
  }
}
