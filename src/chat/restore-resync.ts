import { EnclaveError } from '../errors.js'
import type { ConversationId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Collection } from '../store/store.js'
import type { ConversationRecord } from './message-log.js'

/**
 * A device restored from a backup may be behind its old self: the old device may have sent
 * messages after the backup was made, under numbers the restored copy would use again (members
 * would take a reused number for a copy they hold, and drop the message). So after a restore,
 * each conversation takes no new envelope of this device's until a member has caught it up;
 * catch-up hands over the old device's later envelopes (signed by this device's key), which move
 * the conversation's next number past theirs. If the old device committed a change after the
 * backup, this copy cannot follow its own commit: it stays refused with a clear error until it is
 * added again.
 */
export interface RestoreResync {
  /** Throws `catching-up` while this device may not yet write in the conversation. */
  check(record: ConversationRecord): void
  /**
   * This device's next envelope number in the conversation, taken: every envelope it writes
   * gets its number here, so none is written while the number may be its old self's.
   */
  takeSeq(record: ConversationRecord): number
  /** Where the conversation stands since the restore (null: nothing to wait for). */
  state(conv: ConversationId): 'catching-up' | 'changed' | null
  /** A catch-up with a member of the conversation ended well; true if it was waiting for one. */
  caughtUp(record: ConversationRecord): Promise<boolean>
  /** The old device committed to the conversation after the backup. */
  overtaken(record: ConversationRecord): Promise<void>
}

interface Stored { backup: number; waiting: ConversationId[]; overtaken: ConversationId[] }

const KEY = 'restoreResync'

export async function createRestoreResync(meta: Collection<unknown>, restoredFrom: number | null, conversations: () => ConversationRecord[], log: Logger): Promise<RestoreResync> {
  let state = await meta.get(KEY) as Stored | undefined
  // The first start after a restore (of this backup): every conversation waits.
  if (restoredFrom !== null && state?.backup !== restoredFrom) {
    state = { backup: restoredFrom, waiting: conversations().filter((r) => r.status === 'active').map((r) => r.id), overtaken: [] }
    await meta.put(KEY, state)
    log.info('restored from a backup: conversations wait for a catch-up before this device writes', { conversations: state.waiting.length })
  }
  const waiting = new Set(state?.waiting ?? [])
  const overtaken = new Set(state?.overtaken ?? [])
  const save = (): Promise<void> => meta.put(KEY, { backup: state?.backup ?? 0, waiting: [...waiting], overtaken: [...overtaken] })

  const check = (record: ConversationRecord): void => {
    if (overtaken.has(record.id)) throw new EnclaveError('catching-up', 'this conversation changed on the old device after the backup was made: ask whoever manages it to remove this device and add it again')
    if (waiting.has(record.id)) throw new EnclaveError('catching-up', 'this device was restored from a backup and is catching up with this conversation; it can write once a member has been online')
  }

  return {
    check,
    takeSeq: (record) => {
      check(record)
      return record.nextSeq++
    },
    state: (conv) => (overtaken.has(conv) ? 'changed' : waiting.has(conv) ? 'catching-up' : null),
    caughtUp: async (record) => {
      if (!waiting.delete(record.id)) return false
      log.info('caught up after the restore', { conv: record.id, nextSeq: record.nextSeq })
      await save()
      return true
    },
    overtaken: async (record) => {
      if (overtaken.has(record.id)) return
      overtaken.add(record.id)
      log.warn('the old device changed this conversation after the backup', { conv: record.id, code: 'catching-up' })
      await save()
    }
  }
}
