import { errorMessage } from '../errors.js'
import { personDmWith } from './conversation-resolver.js'
import type { ChatContext } from './chat-context.js'
import type { HistoryTransfer } from './history-transfer.js'
import type { ConversationRecord } from './message-log.js'

/**
 * DMs from before a DM was between people (`enclave/dm/v1`: this device and one other) move into
 * the person DM that replaces them once both devices' people share a workspace (docs/devices.md,
 * "Direct messages"). Each device does it on its own, the same way, so nothing crosses the network
 * for it, and the person DM numbers its own envelopes from 1 as any conversation:
 * - every message is copied there as it reads (edits, reactions, recalls, pins, threads) under
 *   its author and a number in the old DM's own range (`movedSeq`), the same on both devices, so
 *   an edit or a reaction made to it later in the person DM finds it on every device;
 * - the old DM's unread count goes with it; the old DM leaves the list, and its id leads to the
 *   person DM;
 * - what still arrives in the old DM (sent before its peer moved, or by a peer that has not) is
 *   copied over as it comes, unread, with what changed in its newest messages.
 */
export interface DmMigration {
  /** Moves every old DM whose peer's person is known now; again after each membership change. */
  run(): Promise<void>
  /** Copies over what arrived in a moved DM since. */
  arrived(record: ConversationRecord): void
}

export function createDmMigration(ctx: ChatContext, history: Pick<HistoryTransfer, 'adopt'>): DmMigration {
  const { self, log, policy, messages, store } = ctx

  const move = async (old: ConversationRecord): Promise<void> => {
    const peer = old.peerId
    const dm = peer === null ? undefined : personDmWith(self, policy, peer)
    if (peer === null || dm === undefined) return
    const batch = store.batch()
    const into = messages.ensure(dm.id, batch, () => ({ kind: 'dm', peerId: peer, workspaceId: dm.ws, peerUser: dm.person, muted: old.muted === true, silent: old.silent === true }))
    const first = old.movedTo === undefined
    if (first) {
      old.movedTo = { id: into.id, done: false }
      messages.saveConversation(batch, old)
    }
    if (batch.length > 0) await batch.write()
    const done = old.movedTo?.done === true
    // The first time, all of it, as read; after that, the newest page: what came since.
    const added = await history.adopt(old, into, done ? { pages: 1, fresh: true } : { fresh: false })
    if (!done) {
      const finish = store.batch()
      old.movedTo = { id: into.id, done: true }
      into.unread += old.unread
      old.unread = 0
      messages.saveConversation(finish, old)
      messages.saveConversation(finish, into)
      await finish.write()
      log.info('moved a DM into the DM with its person', { from: old.id, to: into.id, messages: added })
    }
    await ctx.announce(into)
    // Shells showing the old DM drop it for the new one (once: each announcement copies again).
    if (first) await ctx.announce(old)
  }

  let running: Promise<void> = Promise.resolve()
  const queue = (task: () => Promise<void>): Promise<void> => {
    running = running.then(task).catch((err: unknown) => { log.warn('could not move a DM into the DM with its person', { error: errorMessage(err) }) })
    return running
  }

  return {
    run: () => queue(async () => {
      for (const record of messages.conversations()) {
        if (record.kind !== 'dm' || record.peerUser !== undefined || record.movedTo?.done === true) continue
        await move(record)
      }
    }),
    arrived: (record) => {
      if (record.movedTo === undefined) return
      void queue(() => move(record))
    }
  }
}

