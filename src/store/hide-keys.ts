import { COLLECTIONS, type CollectionName } from './collections.js'
import { frameKeyed, unframeKeyed } from './keyed-value.js'
import type { ClassicLevel } from 'classic-level'
import type { KeyMapper } from './key-layout.js'
import type { Logger } from '../logger.js'
import type { ValueCodec } from './value-codec.js'

type Raw = ClassicLevel<string, Uint8Array>

export interface HideKeysInit {
  sub(name: CollectionName): Raw
  codec: ValueCodec
  /** Undefined for a store without a data key: its keys stay as they are. */
  keys: KeyMapper | undefined
  log: Logger
  /** Entries moved per atomic write (tests make it 1). @default 512 */
  chunk?: number
}

/** Entries moved per atomic write: bounds the memory a batch takes. */
const CHUNK = 512
/** Width of an outbox counter (outbox.ts `entryKey`). */
const OUTBOX_COUNTER_DIGITS = 17

/**
 * Schema 3 → 4: every entry of a collection whose keys are hidden moves from its logical key
 * to its key on disk, its value sealed again with the logical key inside. Each entry moves in
 * one atomic batch (old key deleted, new key written), so after a crash every entry is in
 * exactly one of the two forms; a rerun tells them apart by authentication (the new form is
 * sealed under its own label) and moves the rest. The schema version is written after this
 * returns. Outbox keys held a clock reading: they get counters, in the same order.
 */
export async function hideKeys(init: HideKeysInit): Promise<number> {
  const { codec, keys } = init
  if (keys === undefined) return 0
  let moved = 0
  for (const name of COLLECTIONS) {
    if (!keys.hides(name)) continue
    const s = init.sub(name)
    const isNew = (diskKey: string, bytes: Uint8Array): string | undefined => {
      try {
        return unframeKeyed(name, codec.decode(`keyed/${name}`, diskKey, bytes)).key
      } catch {
        return undefined
      }
    }
    let counter = 0
    if (name === 'outbox') {
      // A rerun after a crash continues past the counters the first run gave.
      for await (const [diskKey, bytes] of s.iterator()) {
        const key = isNew(diskKey, bytes)
        if (key !== undefined) counter = Math.max(counter, Number(key.slice(key.lastIndexOf('!') + 1)))
      }
    }
    let ops: Array<{ type: 'del'; key: string } | { type: 'put'; key: string; value: Uint8Array }> = []
    const flush = async (): Promise<void> => {
      if (ops.length === 0) return
      // Deletes first: a new key equal to another entry's old one must survive the batch.
      // Typed loosely by abstract-level, as in store.ts.
      await s.batch([...ops.filter((o) => o.type === 'del'), ...ops.filter((o) => o.type === 'put')] as unknown as Array<{ type: 'del'; key: string }>)
      ops = []
    }
    // The iterator reads a snapshot: entries written behind it are not met again.
    for await (const [oldKey, bytes] of s.iterator()) {
      if (isNew(oldKey, bytes) !== undefined) continue
      const value = codec.decode(name, oldKey, bytes)
      const key = name === 'outbox'
        ? `${oldKey.slice(0, oldKey.lastIndexOf('!'))}!${(++counter).toString().padStart(OUTBOX_COUNTER_DIGITS, '0')}`
        : oldKey
      const diskKey = keys.key(name, key)
      ops.push({ type: 'del', key: oldKey }, { type: 'put', key: diskKey, value: codec.encode(`keyed/${name}`, diskKey, frameKeyed(name, key, value)) })
      moved++
      if (ops.length >= (init.chunk ?? CHUNK) * 2) await flush()
    }
    await flush()
  }
  if (moved > 0) init.log.info('store keys hidden', { moved })
  return moved
}
