import { EnclaveError } from '../errors.js'
import { isNewest, toMessageView, type ConversationRecord, type StoredFile, type StoredMessage } from './message-log.js'
import { fileRefOf, storedFileOf } from './file-message.js'
import type { AppPayload, FileRef } from './envelope.js'
import type { ConversationId, MessageView, PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { Delivery } from './delivery.js'
import type { Membership } from './membership.js'
import { newReceipts } from './receipts.js'
import type { MessageRef } from './annotation-log.js'

/** This device's text messages: grouped into one write while one is on disk, or held for a DM not set up yet. */
export interface Sending {
  /** Queues a message (a file, with `text` its caption) for the next write; resolves with it once stored and queued for members. */
  queueText: (record: ConversationRecord, text: string, file?: FileRef, reply?: MessageRef) => Promise<MessageView>
  /** Stores a DM message that cannot be encrypted yet (the peer was never reachable). */
  holdText: (record: ConversationRecord, text: string, file?: FileRef, reply?: MessageRef) => Promise<MessageView>
  /** Sets up a DM's group and sends what was held for it, in order. */
  flushHeld: (record: ConversationRecord) => Promise<void>
}

export function createSending(ctx: ChatContext, delivery: Delivery, membership: Membership): Sending {
  const { store, clock, emit, self, messages, groups, announce, decorate } = ctx
  const { sealAndQueue, kickAll, trackPending, passStored } = delivery
  const { ensureDmGroup } = membership

  /** A message's plaintext: text, or a file with `text` as its caption. */
  const payloadOf = (record: ConversationRecord, seq: number, hlc: number, text: string, file: FileRef | undefined, reply: MessageRef | undefined): AppPayload =>
    file === undefined ? { type: 'text', conv: record.id, author: self, seq, hlc, text, ...(reply === undefined ? {} : { reply }) } : { type: 'file', conv: record.id, author: self, seq, hlc, text, file }
  const storedFile = (file: FileRef | undefined, reply: MessageRef | undefined): { file?: StoredFile; reply?: MessageRef } =>
    ({ ...(file === undefined ? {} : { file: storedFileOf(file) }), ...(reply === undefined || file !== undefined ? {} : { reply }) })

  /**
   * Sends go out in groups: every message asked for while the previous write was on disk is
   * encrypted and written in one batch (group state, ciphertext, message and outbox entries
   * together), which is what lets a busy conversation go faster than one write per message.
   */
  const sendQueues = new Map<ConversationId, Array<{ text: string; file?: FileRef; reply?: MessageRef; done: (v: MessageView) => void; fail: (e: unknown) => void }>>()
  const queueText = (record: ConversationRecord, text: string, file?: FileRef, reply?: MessageRef): Promise<MessageView> => new Promise((done, fail) => {
    const item = { text, ...(file === undefined ? {} : { file }), ...(reply === undefined ? {} : { reply }), done, fail }
    const queue = sendQueues.get(record.id)
    if (queue !== undefined) { queue.push(item); return }
    sendQueues.set(record.id, [item])
    void groups.serial(record.id, () => flushTexts(record))
  })

  const flushTexts = async (record: ConversationRecord): Promise<void> => {
    const queue = sendQueues.get(record.id) ?? []
    sendQueues.delete(record.id)
    const batch = store.batch()
    const stored: Array<{ key: string; msg: StoredMessage }> = []
    const recipients = new Set<PeerIdString>()
    try {
      for (const { text, file, reply } of queue) {
        const sent = await sealAndQueue(batch, record, (seq, hlc) => payloadOf(record, seq, hlc, text, file, reply), (p) => {
          const receipts = newReceipts(record.members, self)
          const msg: StoredMessage = { conv: record.id, author: self, seq: p.seq, hlc: p.hlc, text, ...storedFile(file, reply), state: receipts.to.length === 0 ? 'delivered' : 'pending', mine: true, receipts }
          const key = messages.append(batch, msg, { countUnread: false })
          stored.push({ key, msg })
          return key
        })
        for (const r of sent.recipients) recipients.add(r)
      }
      await batch.write()
    } catch (err) {
      const failure = err instanceof EnclaveError ? err : new EnclaveError('store-error', 'could not store the message', { cause: err })
      for (const q of queue) q.fail(failure)
      return
    }
    kickAll([...recipients])
    const views = await decorate(stored.map(({ key, msg }) => {
      if (msg.state === 'pending') trackPending(key, msg)
      return toMessageView(msg, key, record)
    }))
    for (const v of views) emit('chat.messageAdded', v)
    const last = views.at(-1)
    await announce(record, last !== undefined && isNewest(record, last) ? last : undefined)
    queue.forEach((q, i) => { const v = views[i]; if (v !== undefined) q.done(v) })
  }

  /**
   * A DM's first messages while its peer has never been reachable: stored (pending) with their
   * place in the author's sequence, encrypted and queued the moment the peer is met.
   */
  const holdText = async (record: ConversationRecord, text: string, file?: FileRef, reply?: MessageRef): Promise<MessageView> => {
    const batch = store.batch()
    const msg: StoredMessage = { conv: record.id, author: self, seq: record.nextSeq++, hlc: clock.now(), text, ...storedFile(file, reply), state: 'pending', mine: true, receipts: newReceipts(record.peerId === null ? [] : [record.peerId], self) }
    const key = messages.append(batch, msg, { countUnread: false })
    record.heldKeys = [...record.heldKeys, key]
    messages.saveConversation(batch, record)
    await batch.write()
    trackPending(key, msg)
    const [v = toMessageView(msg, key, record)] = await decorate([toMessageView(msg, key, record)])
    emit('chat.messageAdded', v)
    await announce(record)
    return v
  }

  /** Sets up a DM's group and sends what was held for it, in order. */
  const flushHeld = (record: ConversationRecord): Promise<void> => groups.serial(record.id, async () => {
    if (record.heldKeys.length === 0) return
    await ensureDmGroup(record)
    const held = await messages.byKeys(record.heldKeys)
    const batch = store.batch()
    const recipients = new Set<PeerIdString>()
    for (const [i, msg] of held.entries()) {
      const key = record.heldKeys[i]
      if (msg === undefined || key === undefined) continue
      const sent = await sealAndQueue(batch, record, (seq, hlc) => payloadOf(record, seq, hlc, msg.text, msg.file === undefined ? undefined : fileRefOf(msg.file), msg.reply), () => key, { seq: msg.seq, hlc: msg.hlc })
      for (const r of sent.recipients) recipients.add(r)
    }
    // The welcome made for the DM took the number after the held texts' and is marked only now.
    await passStored(record, self)
    record.heldKeys = []
    messages.saveConversation(batch, record)
    await batch.write()
    kickAll([...recipients])
  })

  return { queueText, holdText, flushHeld }
}
