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

/** A message to send: text (a file's caption), and what comes with it. */
export interface Outgoing {
  text: string
  file?: FileRef
  /** Quoted above it (text messages). */
  reply?: MessageRef
  /** Devices it @mentions, and @all (text messages). */
  mentions?: PeerIdString[]
  all?: true
  /** A reply in this message's thread (`echo`: also shown in the conversation). */
  thread?: MessageRef
  echo?: true
}

/** This device's text messages: grouped into one write while one is on disk, or held for a DM not set up yet. */
export interface Sending {
  /** Queues a message for the next write; resolves with it once stored and queued for members. */
  queueText: (record: ConversationRecord, out: Outgoing) => Promise<MessageView>
  /** Stores a DM message that cannot be encrypted yet (the peer was never reachable). */
  holdText: (record: ConversationRecord, out: Outgoing) => Promise<MessageView>
  /** Sets up a DM's group and sends what was held for it, in order. */
  flushHeld: (record: ConversationRecord) => Promise<void>
}

export function createSending(ctx: ChatContext, delivery: Delivery, membership: Membership): Sending {
  const { store, clock, emit, self, messages, groups, announce, decorate } = ctx
  const { sealAndQueue, kickAll, trackPending, passStored } = delivery
  const { ensureDmGroup } = membership

  /** What a text message carries besides its text (a file message carries none of it). */
  const extrasOf = (out: Outgoing): Pick<StoredMessage, 'reply' | 'mentions' | 'all' | 'thread' | 'echo'> => (out.file !== undefined ? {} : {
    ...(out.reply === undefined ? {} : { reply: out.reply }),
    ...(out.mentions === undefined || out.mentions.length === 0 ? {} : { mentions: out.mentions }),
    ...(out.all === true ? { all: true } : {}),
    ...(out.thread === undefined ? {} : { thread: out.thread, ...(out.echo === true ? { echo: true } : {}) })
  })
  /** A message's plaintext: text, or a file with `text` as its caption. */
  const payloadOf = (record: ConversationRecord, seq: number, hlc: number, out: Outgoing): AppPayload =>
    out.file === undefined ? { type: 'text', conv: record.id, author: self, seq, hlc, text: out.text, ...extrasOf(out) } : { type: 'file', conv: record.id, author: self, seq, hlc, text: out.text, file: out.file }
  const storedOf = (out: Outgoing): { file?: StoredFile } & Pick<StoredMessage, 'reply' | 'mentions' | 'all' | 'thread' | 'echo'> =>
    ({ ...(out.file === undefined ? {} : { file: storedFileOf(out.file) }), ...extrasOf(out) })
  /** A stored message of this device's, to send again (held for a DM). */
  const outgoingOf = (msg: StoredMessage): Outgoing => ({
    text: msg.text,
    ...(msg.file === undefined ? {} : { file: fileRefOf(msg.file) }),
    ...(msg.reply === undefined ? {} : { reply: msg.reply }),
    ...(msg.mentions === undefined ? {} : { mentions: msg.mentions }),
    ...(msg.all === true ? { all: true } : {}),
    ...(msg.thread === undefined ? {} : { thread: msg.thread, ...(msg.echo === true ? { echo: true } : {}) })
  })

  /**
   * Sends go out in groups: every message asked for while the previous write was on disk is
   * encrypted and written in one batch (group state, ciphertext, message and outbox entries
   * together), which is what lets a busy conversation go faster than one write per message.
   */
  const sendQueues = new Map<ConversationId, Array<{ out: Outgoing; done: (v: MessageView) => void; fail: (e: unknown) => void }>>()
  const queueText = (record: ConversationRecord, out: Outgoing): Promise<MessageView> => new Promise((done, fail) => {
    const item = { out, done, fail }
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
      for (const { out } of queue) {
        const sent = await sealAndQueue(batch, record, (seq, hlc) => payloadOf(record, seq, hlc, out), (p) => {
          const receipts = newReceipts(record.members, self)
          const msg: StoredMessage = { conv: record.id, author: self, seq: p.seq, hlc: p.hlc, text: out.text, ...storedOf(out), state: receipts.to.length === 0 ? 'delivered' : 'pending', mine: true, receipts }
          const key = messages.append(batch, msg, { countUnread: false })
          stored.push({ key, msg })
          return key
        })
        for (const r of sent.recipients) recipients.add(r)
        const last = stored.at(-1)
        if (out.thread !== undefined && last !== undefined) await ctx.annotations.noteReply(batch, record.id, out.thread, { by: self, hlc: last.msg.hlc, key: last.key })
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
  const holdText = async (record: ConversationRecord, out: Outgoing): Promise<MessageView> => {
    const batch = store.batch()
    const msg: StoredMessage = { conv: record.id, author: self, seq: ctx.resync.takeSeq(record), hlc: clock.now(), text: out.text, ...storedOf(out), state: 'pending', mine: true, receipts: newReceipts(record.peerId === null ? [] : [record.peerId], self) }
    const key = messages.append(batch, msg, { countUnread: false })
    record.heldKeys = [...record.heldKeys, key]
    messages.saveConversation(batch, record)
    if (out.thread !== undefined) await ctx.annotations.noteReply(batch, record.id, out.thread, { by: self, hlc: msg.hlc, key })
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
      const sent = await sealAndQueue(batch, record, (seq, hlc) => payloadOf(record, seq, hlc, outgoingOf(msg)), () => key, { seq: msg.seq, hlc: msg.hlc })
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
