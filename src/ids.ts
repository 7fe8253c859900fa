import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import { EnclaveError } from './errors.js'
import type { CallId, ConversationId, DepartmentId, DocId, InviteId, MessageId, PeerIdString, UserId, WorkspaceId } from './api/contract.js'
import type { PeerId } from '@libp2p/interface'

/*
 * Every id format in one place, and the only functions that make branded ids: each checks the
 * format first, so an id typed as `ConversationId` is one. The API's schemas, the wire decoders
 * and the services all parse with these.
 */

/** `dm:` or `ch:` + 32 hex digits. */
export const CONVERSATION_ID = /^(dm|ch):[0-9a-f]{32}$/
/** `doc:` + 32 hex digits. */
export const DOC_ID = /^doc:[0-9a-f]{32}$/
/** A call: 32 hex digits. */
export const CALL_ID = /^[0-9a-f]{32}$/
/** `w` + 32 hex digits. */
export const WORKSPACE_ID = /^w[0-9a-f]{32}$/
/** Users, invites and departments: chosen by the device that makes them. */
export const LOCAL_ID = /^[0-9a-zA-Z_-]{8,64}$/
/** A PeerId's base58btc text, as the membership log stores devices. */
export const PEER_ID_TEXT = /^[1-9A-HJ-NP-Za-km-z]{40,64}$/

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is the brand each parser returns; it has nowhere else to appear
function parser<T extends string>(pattern: RegExp, what: string): (value: string) => T {
  return (value) => {
    if (!pattern.test(value)) throw new EnclaveError('bad-request', `not ${what}: ${value.slice(0, 80)}`)
    return value as T
  }
}

export const parseConversationId = parser<ConversationId>(CONVERSATION_ID, 'a conversation id')
export const parseDocId = parser<DocId>(DOC_ID, 'a doc id')
export const parseCallId = parser<CallId>(CALL_ID, 'a call id')
export const parseWorkspaceId = parser<WorkspaceId>(WORKSPACE_ID, 'a workspace id')
export const parseUserId = parser<UserId>(LOCAL_ID, 'a user id')
export const parseInviteId = parser<InviteId>(LOCAL_ID, 'an invite id')
export const parseDepartmentId = parser<DepartmentId>(LOCAL_ID, 'a department id')

export function isConversationId(value: string): value is ConversationId {
  return CONVERSATION_ID.test(value)
}
export function isDocId(value: string): value is DocId {
  return DOC_ID.test(value)
}
export function isWorkspaceId(value: string): value is WorkspaceId {
  return WORKSPACE_ID.test(value)
}

/** Parses and normalises a PeerId string, or throws `bad-request`. */
export function parsePeerId(value: string): PeerIdString {
  try {
    return peerIdFromString(value).toString() as PeerIdString
  } catch (err) {
    throw new EnclaveError('bad-request', `not a peer id: ${value.slice(0, 80)}`, { cause: err })
  }
}

/** The id of a peer libp2p already authenticated (a connection's remote, an event's detail). */
export function peerIdOf(peer: PeerId): PeerIdString {
  return peer.toString() as PeerIdString
}

export function messageId(conv: ConversationId, author: PeerIdString, seq: number): MessageId {
  return `${conv}/${author}/${seq}` as MessageId
}

/** Reads a message id in the one form `messageId` writes (Number() alone would take ` 7`, `7.0`, `0x7` or a fourth part). */
export function parseMessageId(value: string): { conv: ConversationId; author: PeerIdString; seq: number } {
  const parts = value.split('/')
  const [conv, author, seqText] = parts
  const seq = Number(seqText)
  if (parts.length !== 3 || conv === undefined || !isConversationId(conv) || author === undefined || seqText !== String(seq) || !Number.isSafeInteger(seq) || seq < 1) {
    throw new EnclaveError('bad-request', `not a message id: ${value.slice(0, 120)}`)
  }
  const peer = parsePeerId(author)
  if (peer !== author) throw new EnclaveError('bad-request', `not a message id: ${value.slice(0, 120)}`)
  return { conv, author: peer, seq }
}

/**
 * A device id as the membership log stores it (base58btc text), checked by its format alone: the
 * log is replayed at every start, and decoding 20,000 multihashes there would cost more than the
 * check is worth. Ids from peers and users go through `parsePeerId`.
 */
export const parseDeviceText = parser<PeerIdString>(PEER_ID_TEXT, 'a device id')

/** A zod schema for an id: its parse function's branded result, or a validation issue. */
export function idSchema<T extends string>(parse: (value: string) => T): z.ZodType<T, string> {
  return z.string().max(200).transform((value, ctx) => {
    try {
      return parse(value)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof EnclaveError ? err.message : 'malformed id' })
      return z.NEVER
    }
  })
}
