import { createHash, randomBytes } from 'node:crypto'
import { parseConversationId } from '../ids.js'
import type { ConversationId, PeerIdString, WorkspaceId } from '../api/contract.js'

export { workspaceChannelId } from '../identity/workspace-channel.js'

/**
 * The direct conversation between two devices: both sides derive the same id without asking
 * each other. Domain-separated so it never collides with ids of other kinds.
 */
export function dmConversationId(a: PeerIdString, b: PeerIdString): ConversationId {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  const digest = createHash('sha256').update(`enclave/dm/v1\n${lo}\n${hi}`).digest('hex')
  return parseConversationId(`dm:${digest.slice(0, 32)}`)
}

/**
 * The direct conversation between two people of a workspace, whichever of their devices: any
 * device of either derives the same id from the workspace's log, so a laptop linked later finds
 * the conversation its desktop had. Domain-separated from device DMs (`enclave/dm/v1`).
 */
export function personDmId(ws: WorkspaceId | string, a: string, b: string): ConversationId {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  const digest = createHash('sha256').update(`enclave/dm/v2\n${ws}\n${lo}\n${hi}`).digest('hex')
  return parseConversationId(`dm:${digest.slice(0, 32)}`)
}

/** Numbers of an old DM's messages in the person DM they moved into start here: above any the person DM gives. */
const MOVED_BASE = 2 ** 44
/** Each old DM takes a range of this many numbers (a DM of more envelopes than that is not moved whole). */
export const MOVED_RANGE = 2 ** 24

/**
 * The number an old DM's message takes in the person DM it moved into (dm-migration.ts): the
 * same on every device that moves it, in a range of the old DM's own, so messages of two old DMs
 * (one per device of a person) never share one, nor with the person DM's own envelopes.
 */
export function movedSeq(oldConv: ConversationId, seq: number): number {
  const slot = parseInt(createHash('sha256').update(`enclave/dm-move/v1\n${oldConv}`).digest('hex').slice(0, 5), 16)
  return MOVED_BASE + slot * MOVED_RANGE + seq
}

/** A new channel's id: random, so nobody can predict or collide with it. */
export function newChannelId(): ConversationId {
  return parseConversationId(`ch:${randomBytes(16).toString('hex')}`)
}

export function kindOfConversation(id: ConversationId): 'dm' | 'channel' {
  return id.startsWith('dm:') ? 'dm' : 'channel'
}
