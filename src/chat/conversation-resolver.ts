import { EnclaveError } from '../errors.js'
import { dmConversationId, personDmId } from './ids.js'
import type { ConversationId, ConversationRef, PeerIdString, WorkspaceId } from '../api/contract.js'
import type { Store } from '../store/store.js'
import type { MembershipPolicy } from './membership-policy.js'
import type { ConversationRecord, MessageLog } from './message-log.js'

/**
 * The DM with the person `peer` is a device of, in the first workspace both share (by id): every
 * device of either person finds the same one. Undefined for a device of no shared workspace's
 * person, or of this device's own person: such a DM stays between the two devices.
 */
export function personDmWith(self: PeerIdString, policy: MembershipPolicy, peer: PeerIdString): { id: ConversationId; ws: WorkspaceId; person: string } | undefined {
  for (const ws of policy.sharedWith(peer)) {
    const me = policy.personOf(ws, self)
    const person = policy.personOf(ws, peer)
    if (me === null || person === null) continue
    return me === person ? undefined : { id: personDmId(ws, me, person), ws, person }
  }
  return undefined
}

/** The record a reference names; for a peer, its DM's, made (empty) on first use. */
export function createResolver(deps: { self: PeerIdString; store: Store; messages: MessageLog; policy: MembershipPolicy }): (ref: ConversationRef) => ConversationRecord {
  const { self, store, messages, policy } = deps
  return (ref) => {
    if ('peerId' in ref) {
      const peer = ref.peerId
      if (peer === self) throw new EnclaveError('bad-request', 'cannot start a conversation with this device itself')
      const batch = store.batch()
      const dm = personDmWith(self, policy, peer)
      const record = dm === undefined
        ? messages.ensure(dmConversationId(self, peer), batch, () => ({ kind: 'dm', peerId: peer, workspaceId: policy.sharedWith(peer)[0] ?? null }))
        : messages.ensure(dm.id, batch, () => ({ kind: 'dm', peerId: peer, workspaceId: dm.ws, peerUser: dm.person }))
      if (batch.length > 0) void batch.write()
      return record
    }
    const record = messages.conversation(ref.conversationId)
    if (record === undefined) throw new EnclaveError('not-found', `no conversation ${ref.conversationId}`)
    // An old DM moved into its person DM (dm-migration.ts): a shell that still shows it writes there.
    return record.movedTo === undefined ? record : messages.conversation(record.movedTo.id) ?? record
  }
}
