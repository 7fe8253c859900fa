/** What a conversation looks like to a shell (part of the API contract, `contract.ts`). */
import type { ConversationId, PeerIdString, WorkspaceId } from './api-ids.js'
import type { MessageView } from './message-views.js'

/**
 * - `active`: this device is in the conversation's MLS group and can read and write.
 * - `joining`: waiting to be added (a join request or a welcome is on its way).
 * - `left`: this device left; history stays readable on this device.
 * - `removed`: someone removed this device (or its user left the workspace); read-only.
 */
export type ConversationStatus = 'active' | 'joining' | 'left' | 'removed'

/**
 * `private`: members are added by members. `open`: any workspace member may join.
 * `workspace`: the workspace's own channel; every active member is in it, automatically.
 */
export type ChannelVisibility = 'private' | 'open' | 'workspace'

export interface ConversationView {
  id: ConversationId
  kind: 'dm' | 'channel'
  /** A direct conversation's other person: one of their active devices (a DM is with the person, every device of both); null for channels. */
  peerId: PeerIdString | null
  /**
   * An old DM between two devices that moved into the DM with the other person (this id): shells
   * drop it from their lists and show that one instead. Null otherwise.
   */
  movedTo: ConversationId | null
  /** The workspace a channel (or a DM between colleagues) belongs to; null for loose DMs. */
  workspaceId: WorkspaceId | null
  /** Channel name; null for DMs. */
  name: string | null
  topic: string
  visibility: ChannelVisibility | null
  archived: boolean
  status: ConversationStatus
  /** Devices in the conversation's MLS group, this one included, as this device last saw it. */
  members: PeerIdString[]
  /** Devices someone asked to add that are not in the group yet (waiting for them or the committer). */
  pendingMembers: PeerIdString[]
  /** Device that may commit membership changes now (see docs/protocol.md, committer policy). */
  committer: PeerIdString | null
  /** May this device remove others, archive or unarchive (channel creator or a workspace admin). */
  canManage: boolean
  /**
   * Restored from a backup (docs/backup.md): `catching-up` until a member has caught this device
   * up (it may not write yet); `changed` when its old self changed the group after the backup
   * (read-only until someone adds this device again); null otherwise.
   */
  afterRestore: 'catching-up' | 'changed' | null
  /** Minutes after sending this device may recall its own messages here (workspace policy); null: any time. */
  recallMinutes: number | null
  /**
   * Messages received that cannot be decrypted yet (their epoch's commit has not arrived, or
   * this device's welcome is still on its way). The UI shows them, never a silent gap.
   */
  waiting: number
  /**
   * Envelopes this device knows exist and does not hold yet, per author: a member said it holds
   * them, or a later one arrived first. `from`: who is expected to hand them over. Never a
   * silent gap; cleared as they arrive (or when whoever said so could not serve them).
   */
  onTheWay: OnTheWay[]
  lastMessage: MessageView | null
  unread: number
  /** Unread messages that mention this device (or everyone). */
  mentions: number
  /** Muted here: the tray counts only mentions (`notify` is `mentions` or `nothing`). */
  muted: boolean
  /** What notifies on this device: every message, only mentions, or nothing at all. */
  notify: NotifyLevel
}

export type NotifyLevel = 'all' | 'mentions' | 'nothing'

/** Envelopes (messages, edits, membership changes) of one author on their way to this device. */
export interface OnTheWay {
  author: PeerIdString
  count: number
  /** Devices that hold them (members who said so, the device that handed over a later one, the author). */
  from: PeerIdString[]
}

/** An open channel this device may join. */
export interface ChannelSummary {
  id: ConversationId
  workspaceId: WorkspaceId
  name: string
  topic: string
  memberCount: number
}
