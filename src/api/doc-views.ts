/**
 * The API's views of notes and boards: part of the contract (which re-exports them), kept in a
 * file of their own to keep contract.ts readable.
 */
import type { ApiError } from './api-errors.js'
import type { Brand, ConversationId, PeerIdString } from './api-ids.js'

/** `board` (whiteboard) or `note` (rich text). */
export type DocKind = 'board' | 'note'
/** `doc:<hex>`: a whiteboard or note, unique across devices. */
export type DocId = Brand<string, 'DocId'>

/**
 * How a doc's copy on this device stands with its conversation's members:
 * - `local`: a personal doc, on this device only;
 * - `synced`: every connected member has everything this device has, and the reverse;
 * - `syncing`: an exchange with a connected member is under way;
 * - `offline`: no other member is connected; edits are kept and sent when one is;
 * - `error`: the last exchange failed (`error` says why); edits are kept and retried.
 */
export interface DocSyncView {
  state: 'local' | 'synced' | 'syncing' | 'offline' | 'error'
  /** Connected members this doc is shared with. */
  peers: number
  error: ApiError | null
}

export interface DocView {
  id: DocId
  kind: DocKind
  title: string
  /** The conversation whose members share the doc (its MLS group's keys seal it); null for a personal doc. */
  conversationId: ConversationId | null
  /** The device that made it, as the doc's own meta says; null when the meta does not say. */
  createdBy: PeerIdString | null
  createdAt: number
  /** Last change this device knows of, local or remote (ms). */
  updatedAt: number
  sync: DocSyncView
}
