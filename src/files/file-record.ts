import type { ConversationId, MessageId, PeerIdString } from '../api/contract.js'

/** What this device remembers of a file message: the transfer's state (chunks themselves are in the blob store). */
export interface FileRecord {
  messageId: MessageId
  conv: ConversationId
  /** Hex SHA-256 root. */
  root: string
  size: number
  /** `complete`: every chunk is here. `fetching`: wanted, being fetched or waiting for a holder. `remote`: not asked for. `paused` by the user. */
  state: 'remote' | 'fetching' | 'paused' | 'complete'
  /** Why the last try stopped short (no holder reachable, a bad source…), for the user. */
  error: string | null
  /** Fetched because it was small enough, not asked for: such a transfer gives up after a number of tries (file-service.ts). */
  auto?: boolean
  /** Tries in a row that stopped short. */
  tries?: number
  /** Mailboxes that agreed to hold this (own) file for members away: they may fetch it from here. */
  heldBy?: PeerIdString[]
}
