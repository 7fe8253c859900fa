import { createHash, randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { EnclaveError } from '../errors.js'
import type { ConversationId, MessageId, PeerIdString } from '../api/contract.js'

export { workspaceChannelId } from '../identity/workspace-channel.js'

/** Parses and normalises a PeerId string, or throws `bad-request`. */
export function parsePeerId(value: string): PeerIdString {
  try {
    return peerIdFromString(value).toString() as PeerIdString
  } catch (err) {
    throw new EnclaveError('bad-request', `not a peer id: ${value.slice(0, 80)}`, { cause: err })
  }
}

/**
 * The direct conversation between two devices: both sides derive the same id without asking
 * each other. Domain-separated so it never collides with ids of other kinds.
 */
export function dmConversationId(a: PeerIdString, b: PeerIdString): ConversationId {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  const digest = createHash('sha256').update(`enclave/dm/v1\n${lo}\n${hi}`).digest('hex')
  return `dm:${digest.slice(0, 32)}` as ConversationId
}

/** A new channel's id: random, so nobody can predict or collide with it. */
export function newChannelId(): ConversationId {
  return `ch:${randomBytes(16).toString('hex')}` as ConversationId
}

export function isConversationId(value: string): value is ConversationId {
  return /^(dm|ch):[0-9a-f]{32}$/.test(value)
}

export function kindOfConversation(id: ConversationId): 'dm' | 'channel' {
  return id.startsWith('dm:') ? 'dm' : 'channel'
}

export function messageId(conv: ConversationId, author: PeerIdString, seq: number): MessageId {
  return `${conv}/${author}/${seq}` as MessageId
}

export function parseMessageId(value: string): { conv: ConversationId; author: PeerIdString; seq: number } {
  const [conv, author, seqText] = value.split('/')
  const seq = Number(seqText)
  if (conv === undefined || !isConversationId(conv) || author === undefined || !Number.isSafeInteger(seq) || seq < 1) {
    throw new EnclaveError('bad-request', `not a message id: ${value.slice(0, 120)}`)
  }
  return { conv, author: parsePeerId(author), seq }
}
