/**
 * The views of messages the API hands out (part of the contract, which re-exports them): in a
 * file of their own for size, as file-views.ts.
 */
import type { ConversationId, MessageId, PeerIdString } from './api-ids.js'
import type { MessageFile } from './file-views.js'

/**
 * A message's state as this device knows it. An acknowledgement counts only from a device the
 * message was sent to, and means that device authenticated and stored it.
 * - `pending`: durably stored in the outbox; no recipient and no mailbox has stored it yet.
 * - `sent`: at least one recipient device, or a mailbox holding it for those away, has stored
 *   it; others have not yet (`delivery` says who).
 * - `delivered`: every recipient device still in the conversation stored it (a device removed
 *   before it got the message stops being counted).
 * - `failed`: a recipient's copy passed the outbox's maximum age undelivered; `chat.retry`
 *   queues it again for those without it.
 * - `received`: a message someone else wrote.
 */
export type DeliveryState = 'pending' | 'sent' | 'delivered' | 'failed' | 'received'

export interface MessageView {
  id: MessageId
  conversationId: ConversationId
  author: PeerIdString
  /**
   * Per-author, per-conversation sequence number of the envelope that carried the message. It
   * rises with each message; the numbers between belong to the author's MLS commits, welcomes
   * and channel settings, which are not messages.
   */
  seq: number
  /** Author's clock when sent, milliseconds since the epoch. */
  sentAt: number
  /** Sort key: a hybrid logical clock value; later messages always sort after what their author had seen. */
  order: string
  /** The message's text; for a file, its caption (possibly empty). */
  text: string
  /** A file message: what the file is. Its transfer state is `files.get` / `files.changed` (same id). */
  file?: MessageFile
  state: DeliveryState
  /** True when this device wrote the message. */
  mine: boolean
  /**
   * For this device's messages: how many of the devices it went to have stored it. Null for
   * others' messages (this device is not told who holds them) and for this device's messages
   * written before per-recipient tracking, whose recipients are not known.
   */
  delivery: MessageDelivery | null
  /** Set once its author edited it: when (ms). `text` is the newest edit's. */
  editedAt?: number
  /** Recalled for everyone (its author, or a channel's creator or admin): `text` is empty and `file` gone. */
  recalled?: { by: PeerIdString; at: number }
  /** Reactions on, by emoji in the order first used; absent when none. */
  reactions?: ReactionView[]
  /** Pinned in its conversation (`chat.pins` lists them). */
  pinned?: { by: PeerIdString; at: number }
  /** Saved for later by this device's person (ms when): personal, `chat.saved` lists them. */
  savedAt?: number
  /** The message this one replies to, quoted as it is now (edited, recalled, or not here). */
  replyTo?: ReplyView
  /** Devices it @mentions. */
  mentions?: PeerIdString[]
  /** It mentions everyone here (@all, sent by a channel manager). */
  mentionsAll?: true
  /** It mentions this device, by name or through @all. */
  mentionsMe?: true
  /** This device's message: the member devices that have read it (those that send read receipts). */
  readBy?: PeerIdString[]
  /** A reply in the thread of that message; shown in the conversation itself only with `echo`. */
  threadOf?: MessageId
  echo?: true
  /** A message with replies in its thread: how many, the newest's time, and who wrote the last few. */
  thread?: ThreadSummary
}

export interface ThreadSummary {
  count: number
  lastAt: number
  /** The last few distinct repliers, newest first. */
  repliers: PeerIdString[]
}

export interface ReactionView {
  emoji: string
  /** Devices with this reaction on, in the order they reacted. */
  by: PeerIdString[]
}

export interface ReplyView {
  id: MessageId
  author: PeerIdString
  /** Its text now (a file's caption), cut to 200 characters; null when the message is not on this device. */
  text: string | null
  /** A file message: the file's name. */
  fileName?: string
  recalled: boolean
}

/** Per-recipient delivery of one of this device's messages, in devices (`chat.messageInfo` lists them). */
export interface MessageDelivery {
  /** Recipient devices that acknowledged storing it. */
  to: number
  /**
   * Recipient devices counted: every device it was sent to that is still in the conversation,
   * plus any that stored it before leaving. Other devices of this device's own user count too.
   */
  of: number
  /** Up to 3 devices still without it (waiting or failed), for "waiting for Dave". */
  waiting: PeerIdString[]
  /** How many of those without it had their copy expire (the message is then `failed`). */
  failed: number
  /** A mailbox holds a copy for those away. */
  mailbox: boolean
}

/**
 * One recipient of this device's message: `delivered` (stored it; `at` is when its ack arrived),
 * `waiting` (its copy is queued or in flight), `failed` (its copy expired undelivered). There are
 * no read receipts: `delivered` is as far as this device can know.
 */
export interface RecipientView {
  device: PeerIdString
  state: 'delivered' | 'waiting' | 'failed'
  /** Epoch ms the acknowledgement arrived, or null. */
  at: number | null
}

export interface MessageInfo {
  message: MessageView
  /** Every counted recipient device (see `MessageDelivery.of`); empty for others' messages. */
  recipients: RecipientView[]
  /** Earlier texts of an edited message, oldest first (the author and channel managers see them; others get none). */
  edits: Array<{ at: number; text: string }>
}
