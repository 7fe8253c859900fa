import type { Bus } from './bus.js'
import type { ConnectionFailureView, ConversationId, DocId, MessageId, PeerIdString, WorkspaceId } from './api/contract.js'

/**
 * What the core's services tell each other (never the shells: their events are the API's
 * `Events`). Names are `noun:past-tense`; payloads are plain data.
 */
export interface CoreEvents {
  /**
   * A connection to a peer opened and this device settled membership with it (or belongs to no
   * workspace): deliver queued messages, catch up, sync shared docs. Once per connection.
   */
  'peer:ready': PeerIdString
  /** A connected peer turned out to be a mailbox (identify listed the protocol). */
  'mailbox:found': PeerIdString
  /** A workspace's membership log changed (members, roles, removals), or this device joined it. */
  'membership:changed': { ws: WorkspaceId }
  /** Relays (full multiaddrs) a workspace lists or an invite came through: keep a reservation on each. */
  'relays:learned': string[]
  /**
   * A fellow member's signed route (its addresses) arrived, newer than the one held: a message
   * waiting for a way to reach that device can try again now.
   */
  'route:learned': PeerIdString
  /** A member's file message was stored here (not this device's own): the files service may fetch it. */
  'file:shared': { messageId: MessageId; conv: ConversationId; author: PeerIdString; size: number }
  /** A conversation's record changed: its group may be at a new epoch or have new members. */
  'conversation:changed': { id: ConversationId; /** The other device of a direct conversation. */ peer: PeerIdString | null }
  /** A dial, redial or direct-path attempt failed (the peer book keeps the most recent). */
  'connection:failed': ConnectionFailureView
  /**
   * A member's doc edit arrived as a conversation message, authenticated by MLS. Dispatched
   * (awaited) after the envelope was stored, so edits apply in the order they arrived.
   */
  'doc:edit': { conv: ConversationId; from: PeerIdString; doc: DocId; update: Uint8Array }
  /**
   * A file message is being recalled: dispatched (awaited) just before its record is erased, so
   * the files service can still read which file it was and delete this device's copy.
   */
  'file:recalling': { messageId: MessageId }
}

export type CoreBus = Bus<CoreEvents>
