import { decodeState, encodeState } from '../crypto/mls-group.js'
import type { Store, StoreBatch } from '../store/store.js'
import type { ClientState } from 'ts-mls'
import type { ClientConfig } from 'ts-mls/clientConfig.js'

/**
 * MLS group states, one per group id, kept decoded in memory and sealed on disk. A state is
 * written in the same batch as what it produced (a sent envelope, a stored message), so a
 * crash can never reuse a ratchet key that already went out.
 */
export interface GroupStates {
  get(groupId: string): ClientState | undefined
  stage(batch: StoreBatch, groupId: string, state: ClientState): void
  /** Runs `task` after every task queued before it for the same conversation. */
  serial<T>(conv: string, task: () => Promise<T>): Promise<T>
}

export async function createGroupStates(store: Store, configFor: (groupId: string) => ClientConfig): Promise<GroupStates> {
  const saved = store.collection<string>('mlsGroups')
  const cache = new Map<string, ClientState>()
  for await (const [groupId, b64] of saved.entries()) cache.set(groupId, decodeState(new Uint8Array(Buffer.from(b64, 'base64')), configFor(groupId)))
  const chains = new Map<string, Promise<unknown>>()

  return {
    get: (groupId) => cache.get(groupId),
    stage: (batch, groupId, state) => {
      cache.set(groupId, state)
      batch.put(saved, groupId, Buffer.from(encodeState(state)).toString('base64'))
    },
    serial: (conv, task) => {
      const before = chains.get(conv) ?? Promise.resolve()
      const run = before.then(task, task)
      const settled = run.catch(() => undefined)
      chains.set(conv, settled)
      void settled.then(() => { if (chains.get(conv) === settled) chains.delete(conv) })
      return run
    }
  }
}
