import * as Y from 'yjs'
import type { ConversationId, DocId } from '../api/contract.js'
import type { Store } from '../store/store.js'

/** A doc as stored: which conversation shares it, and where its update log stands. */
export interface DocRecord {
  id: DocId
  /** Null for a personal doc. */
  conversationId: ConversationId | null
  updatedAt: number
  /** Next update's number; updates below `snapshotSeq` are folded into the snapshot. */
  seq: number
  snapshotSeq: number
  /** Bytes of updates logged since the snapshot. */
  logBytes: number
  /** The doc's `meta` map as of its last change, so listing docs loads none of them. */
  meta?: Record<string, unknown>
}

/** Docs kept decoded in memory, least recently used first out; the rest wait on disk. */
const MAX_LOADED = 8

/**
 * Compaction thresholds. Appending a small update must stay cheap however large the doc is (a
 * y-leveldb weakness: it re-reads state to store small updates once a big snapshot exists), so
 * updates go to a log and are folded into one snapshot only every few hundred updates or MiB.
 */
const COMPACT_UPDATES = 500
const COMPACT_BYTES = 4 * 1024 * 1024

export interface DocStore {
  list(): DocRecord[]
  get(id: string): DocRecord | undefined
  /**
   * The doc's state (snapshot, then the log), kept in memory while recently used. A copy taken
   * from it is a snapshot: changes go through `append`, which may load the doc afresh.
   */
  load(id: string): Promise<Y.Doc>
  /** Creates the record for a doc first seen now (made here, or shared by a colleague). */
  create(id: DocId, conversationId: ConversationId | null): Promise<DocRecord>
  /** Applies `update` to the doc and logs it durably; false if it changed nothing. */
  append(id: string, update: Uint8Array, origin: unknown): Promise<boolean>
}

const updateKey = (id: string, seq: number): string => `${id}/u/${seq.toString().padStart(12, '0')}`
const snapshotKey = (id: string): string => `${id}/s`

export async function createDocStore(store: Store): Promise<DocStore> {
  const records = store.collection<DocRecord>('docs')
  // Sealed as raw bytes (the sealed codec's binary format): no JSON or base64 for 20 MB snapshots.
  const updates = store.collection<Uint8Array>('docUpdates')
  const cache = new Map<string, DocRecord>()
  for await (const [id, r] of records.entries()) cache.set(id, r)
  const loaded = new Map<string, Promise<Y.Doc>>()
  /** Appends per doc run one at a time: seq numbers and compaction never interleave. */
  const chains = new Map<string, Promise<unknown>>()

  const load = async (id: string): Promise<Y.Doc> => {
    const doc = new Y.Doc({ gc: true })
    const snapshot = await updates.get(snapshotKey(id))
    const parts: Uint8Array[] = snapshot === undefined ? [] : [snapshot]
    for await (const [, u] of updates.entries({ gte: `${id}/u/`, lt: `${id}/u/~` })) parts.push(u)
    // Applied one by one in a transaction: merging first would decode and re-encode the snapshot.
    doc.transact(() => { for (const part of parts) Y.applyUpdate(doc, part, 'store') }, 'store')
    return doc
  }

  const compact = async (record: DocRecord, doc: Y.Doc): Promise<void> => {
    const batch = store.batch()
    batch.put(updates, snapshotKey(record.id), Y.encodeStateAsUpdate(doc))
    for (let s = record.snapshotSeq; s < record.seq; s++) batch.del(updates, updateKey(record.id, s))
    const next = { ...record, snapshotSeq: record.seq, logBytes: 0 }
    batch.put(records, record.id, next)
    await batch.write()
    cache.set(record.id, next)
  }

  /** Appends and compactions under way per doc: a doc is never evicted in the middle of one. */
  const busy = new Map<string, number>()
  const docOf = (id: string): Promise<Y.Doc> => {
    let doc = loaded.get(id)
    if (doc !== undefined) {
      loaded.delete(id)
      loaded.set(id, doc)
      return doc
    }
    doc = load(id)
    loaded.set(id, doc)
    for (const old of loaded.keys()) {
      if (loaded.size <= MAX_LOADED) break
      if (old === id || (busy.get(old) ?? 0) > 0) continue
      // Dropped, not destroyed: a caller may still be reading its copy; the GC takes it after.
      loaded.delete(old)
    }
    return doc
  }
  const metaOf = (doc: Y.Doc): Record<string, unknown> => doc.getMap<unknown>('meta').toJSON()

  return {
    list: () => [...cache.values()],
    get: (id) => cache.get(id),
    load: docOf,
    create: async (id, conversationId) => {
      const existing = cache.get(id)
      if (existing !== undefined) return existing
      const record: DocRecord = { id, conversationId, updatedAt: Date.now(), seq: 0, snapshotSeq: 0, logBytes: 0 }
      await records.put(id, record)
      cache.set(id, record)
      return record
    },
    append: (id, update, origin) => {
      busy.set(id, (busy.get(id) ?? 0) + 1)
      const task = (chains.get(id) ?? Promise.resolve()).then(async () => {
        const doc = await docOf(id)
        // Set by the transaction that applies the update (a holder: TypeScript cannot see callbacks).
        const seen = { changed: false }
        const watch = (tr: Y.Transaction): void => {
          seen.changed = tr.deleteSet.clients.size > 0 || [...tr.afterState].some(([client, clock]) => tr.beforeState.get(client) !== clock)
        }
        doc.once('afterTransaction', watch)
        Y.applyUpdate(doc, update, origin)
        // Parts waiting for an earlier update are not in the doc yet, but must survive a restart.
        const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null
        // An update already integrated (a peer resending it) changes nothing: nothing to log.
        if (!seen.changed && !pending) return { logged: false, compact: false }
        const record = cache.get(id)
        if (record === undefined) throw new Error(`doc ${id} has no record`)
        const next = { ...record, seq: record.seq + 1, updatedAt: Date.now(), logBytes: record.logBytes + update.byteLength, meta: metaOf(doc) }
        const batch = store.batch()
        batch.put(updates, updateKey(id, record.seq), update)
        batch.put(records, id, next)
        await batch.write()
        cache.set(id, next)
        return { logged: true, compact: !pending && (next.seq - next.snapshotSeq >= COMPACT_UPDATES || next.logBytes >= COMPACT_BYTES) }
      })
      // Compaction runs next in the doc's queue, after the caller has its answer.
      const compacted = task.then(async ({ compact: due }) => {
        const record = cache.get(id)
        if (due && record !== undefined) await compact(record, await docOf(id))
      })
      const settled = compacted.catch(() => undefined).finally(() => { busy.set(id, (busy.get(id) ?? 1) - 1) })
      chains.set(id, settled)
      return task.then((r) => r.logged)
    }
  }
}
