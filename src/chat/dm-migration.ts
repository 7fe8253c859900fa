import { errorMessage } from '../errors.js'
import { personDmWith } from './conversation-resolver.js'
import type { ChatContext } from './chat-context.js'
import type { HistoryTransfer } from './history-transfer.js'
import type { ConversationRecord } from './message-log.js'

/**
 * DMs from before a DM was between people (`enclave/dm/v1`: this device and one other) move into
 * the person DM that replaces them once both devices' people share a workspace (docs/devices.md,
 * "Direct messages"). Each device does it on its own, the same way, so no message crosses the
 * network for it:
 * - the person DM numbers this device's envelopes on from the old DM's, and counts what the old
 *   one had seen of each author as seen, so the peer's next envelopes (numbered on from theirs)
 *   follow without a gap;
 * - every message is copied there as it reads (edits, reactions, recalls, pins, threads), under
 *   the same author and number, so replies and later edits find it;
 * - the old DM is hidden from the list; what still arrives in it (sent before its peer moved) is
 *   copied over too.
 */
export interface DmMigration {
  /** Moves every old DM whose peer's person is now known; again after each membership change. */
  run(): Promise<void>
  /** Copies over what arrived in a moved DM since (an envelope in flight when its peer moved). */
  arrived(record: ConversationRecord): void
}

export function createDmMigration(ctx: ChatContext, history: Pick<HistoryTransfer, 'adopt'>): DmMigration {
  const { self, log, policy, messages, store, groups } = ctx

  const move = async (old: ConversationRecord): Promise<void> => {
    const peer = old.peerId
    const dm = peer === null ? undefined : personDmWith(self, policy, peer)
    if (peer === null || dm === undefined) return
    const batch = store.batch()
    const into = messages.ensure(dm.id, batch, () => ({ kind: 'dm', peerId: peer, workspaceId: dm.ws, peerUser: dm.person, muted: old.muted === true, silent: old.silent === true }))
    const first = old.movedTo === undefined
    await groups.serial(into.id, async () => {
      if (first) {
        into.nextSeq = Math.max(into.nextSeq, old.nextSeq)
        for (const [author, seq] of Object.entries(old.seen)) into.seen[author] = Math.max(into.seen[author] ?? 0, seq)
        into.unread += old.unread
        old.unread = 0
        old.movedTo = { id: into.id, done: false }
      }
      messages.saveConversation(batch, into)
      messages.saveConversation(batch, old)
      await batch.write()
    })
    const added = await history.adopt(old, into)
    const done = store.batch()
    old.movedTo = { id: into.id, done: true }
    messages.saveConversation(done, old)
    await done.write()
    log.info('moved a DM into the DM with its person', { from: old.id, to: into.id, messages: added })
    await ctx.announce(into)
    // Shells showing the old DM drop it for the new one (once: announcing it again would copy again).
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
