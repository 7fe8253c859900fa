import { decodeState, encodeState } from '../crypto/mls-group.js'
import type { Store, StoreBatch } from '../store/store.js'
import type { ClientState } from 'ts-mls'
import type { ClientConfig } from 'ts-mls/clientConfig.js'

/** How long a receiver's ratchet step may wait before it is written. */
const LAZY_WRITE_MS = 1000

/**
 * MLS group states, one per group id, kept decoded in memory and sealed on disk.
 *
 * `stage` writes a state in the same batch as what it produced (a sent envelope, a commit), so
 * a crash can never reuse a key that already went out. `advance` is for receiving application
 * messages, which only move a sender's ratchet: re-encoding a 500-member group's state for every
 * message read dominated fan-out, so those states are written at most once a second (and at
 * stop). After a crash the older state simply ratchets forward again; the messages themselves
 * were stored, and envelopes are deduplicated before decryption.
 */
export interface GroupStates {
  get(groupId: string): ClientState | undefined
  /** Ids of the groups this device holds for a conversation (`<conversation>/<creator>`), sorted. */
  idsOf(conv: string): string[]
  stage(batch: StoreBatch, groupId: string, state: ClientState): void
  advance(groupId: string, state: ClientState): void
  /** Runs `task` after every task queued before it for the same conversation. */
  serial<T>(conv: string, task: () => Promise<T>): Promise<T>
  /** Writes states that `advance` left pending. */
  flush(): Promise<void>
}

/** A conversation task running longer than this is reported (`onSlow`). */
export const SLOW_TASK_MS = 15_000

export async function createGroupStates(store: Store, configFor: (groupId: string) => ClientConfig, onSlow?: (conv: string, ms: number) => void): Promise<GroupStates> {
  const saved = store.collection<string>('mlsGroups')
  const cache = new Map<string, ClientState>()
  /** Group ids per conversation: a DM may have one per device that started it (conversation-rules.ts). */
  const byConv = new Map<string, string[]>()
  const index = (groupId: string): void => {
    const conv = groupId.slice(0, groupId.indexOf('/'))
    const ids = byConv.get(conv) ?? []
    if (ids.includes(groupId)) return
    byConv.set(conv, [...ids, groupId].sort())
  }
  for await (const [groupId, b64] of saved.entries()) {
    cache.set(groupId, decodeState(new Uint8Array(Buffer.from(b64, 'base64')), configFor(groupId)))
    index(groupId)
  }
  const chains = new Map<string, Promise<unknown>>()
  const dirty = new Set<string>()
  let timer: NodeJS.Timeout | undefined

  const encoded = (state: ClientState): string => Buffer.from(encodeState(state)).toString('base64')
  const flush = async (): Promise<void> => {
    if (timer !== undefined) { clearTimeout(timer); timer = undefined }
    if (dirty.size === 0) return
    const batch = store.batch()
    for (const groupId of dirty) {
      const state = cache.get(groupId)
      if (state !== undefined) batch.put(saved, groupId, encoded(state))
    }
    dirty.clear()
    await batch.write()
  }

  return {
    get: (groupId) => cache.get(groupId),
    idsOf: (conv) => byConv.get(conv) ?? [],
    stage: (batch, groupId, state) => {
      cache.set(groupId, state)
      index(groupId)
      dirty.delete(groupId)
      batch.put(saved, groupId, encoded(state))
    },
    advance: (groupId, state) => {
      cache.set(groupId, state)
      dirty.add(groupId)
      timer ??= setTimeout(() => { timer = undefined; void flush().catch(() => undefined) }, LAZY_WRITE_MS).unref()
    },
    serial: <T>(conv: string, task: () => Promise<T>): Promise<T> => {
      const before = chains.get(conv) ?? Promise.resolve()
      // A task that holds a conversation this long stalls every envelope behind it: said, so a stall is never silent.
      const timed = async (): Promise<T> => {
        const slow = setTimeout(() => { onSlow?.(conv, SLOW_TASK_MS) }, SLOW_TASK_MS).unref()
        try { return await task() } finally { clearTimeout(slow) }
      }
      const run = before.then(timed, timed)
      const settled = run.catch(() => undefined)
      chains.set(conv, settled)
      void settled.then(() => { if (chains.get(conv) === settled) chains.delete(conv) })
      return run
    },
    flush
  }
}
