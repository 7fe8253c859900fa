import { storedFileOf } from './file-message.js'
import { plausibleTarget } from './message-actions.js'
import type { AppPayload } from './envelope.js'
import type { ConversationRecord, StoredMessage } from './message-log.js'
import type { PeerIdString } from '../api/contract.js'

/** A text or file message as it travels (inside MLS, or in history handed over by another device of this person). */
export type MessagePayload = Extract<AppPayload, { type: 'text' | 'file' }>

/**
 * A member's message as this device keeps it. @all counts only from a channel's managers (from
 * anyone else it is an ordinary message), and a thread only under a root that may exist: a reply
 * may come before its first message, not under one made up far ahead.
 */
export function receivedMessage(record: ConversationRecord, p: MessagePayload, manages: (device: PeerIdString) => boolean): StoredMessage {
  const extras: Pick<StoredMessage, 'reply' | 'mentions' | 'all' | 'thread' | 'echo'> = p.type === 'file' ? {} : {
    ...(p.reply === undefined ? {} : { reply: p.reply }),
    ...(p.mentions === undefined ? {} : { mentions: p.mentions }),
    ...(p.all === true && manages(p.author) ? { all: true } : {}),
    ...(p.thread === undefined || !plausibleTarget(record, p.thread) ? {} : { thread: p.thread, ...(p.echo === true ? { echo: true } : {}) })
  }
  return { conv: record.id, author: p.author, seq: p.seq, hlc: p.hlc, text: p.text, ...(p.type === 'file' ? { file: storedFileOf(p.file) } : {}), ...extras, state: 'received', mine: false }
}
