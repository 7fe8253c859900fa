import { applyOp, emptyAnnotations, noteReply, type AnnotationOp, type Annotations } from './annotations.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { Store, StoreBatch } from '../store/store.js'

/** A message named by its author and sequence number in one conversation (what ops travel with). */
export interface MessageRef {
  author: PeerIdString
  seq: number
}

/**
 * Reactions, edits, recalls and pins, per message, at rest (sealed like everything else). They
 * are kept apart from the messages: an op may arrive before its message (and waits here), and a
 * message's own record is rewritten as acknowledgements come, from a copy held in memory.
 */
export interface AnnotationLog {
  /** The annotations of these messages (undefined where there are none). */
  get(conv: ConversationId, refs: MessageRef[]): Promise<Array<Annotations | undefined>>
  /**
   * Applies an op in `batch` and returns what it changed (null: nothing) with the annotations
   * after it. Ops on one message must be applied one after another (the conversation's queue):
   * a second op in the same batch builds on the first, not on what is on disk.
   */
  apply(batch: StoreBatch, conv: ConversationId, target: MessageRef, op: AnnotationOp): Promise<{ changed: ReturnType<typeof applyOp>; ann: Annotations }>
  /** Counts a reply just stored (in `batch`) into its thread's root, which may not be here yet. */
  noteReply(batch: StoreBatch, conv: ConversationId, root: MessageRef, reply: { by: PeerIdString; hlc: number; key: string }): Promise<void>
}

function seqKey(seq: number): string {
  return seq.toString().padStart(10, '0')
}

export function annotationKey(conv: ConversationId, ref: MessageRef): string {
  return `${conv}!${ref.author}!${seqKey(ref.seq)}`
}

export function createAnnotationLog(store: Store): AnnotationLog {
  const collection = store.collection<Annotations>('annotations')
  /** Annotations put in a batch not written yet, by key: what the next op on them builds on. */
  const staged = new Map<string, Annotations>()
  /** The annotations of a message as the next change builds on them: staged in a batch, else on disk. */
  const current = async (key: string): Promise<Annotations> => staged.get(key) ?? structuredClone(await collection.get(key)) ?? emptyAnnotations()
  const stage = (batch: StoreBatch, key: string, ann: Annotations): void => {
    staged.set(key, ann)
    batch.put(collection, key, ann)
    batch.afterWrite(() => { if (staged.get(key) === ann) staged.delete(key) })
  }
  return {
    noteReply: async (batch, conv, root, reply) => {
      const key = annotationKey(conv, root)
      const ann = await current(key)
      noteReply(ann, reply)
      stage(batch, key, ann)
    },
    get: async (conv, refs) => {
      const keys = refs.map((r) => annotationKey(conv, r))
      const found = await collection.getMany(keys)
      return found.map((a, i) => staged.get(keys[i] ?? '') ?? a)
    },
    apply: async (batch, conv, target, op) => {
      const key = annotationKey(conv, target)
      const ann = await current(key)
      const before = JSON.stringify(ann)
      const changed = applyOp(ann, op)
      // Unchanged for the eye is not unchanged at rest (an earlier recall, an older `off`): compared whole.
      if (JSON.stringify(ann) !== before) stage(batch, key, ann)
      return { changed, ann }
    }
  }
}
