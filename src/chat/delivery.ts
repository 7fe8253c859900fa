import { encode as cborEncode } from 'cborg'
import { EnclaveError, errorMessage } from '../errors.js'
import { encryptApplication, epochOf } from '../crypto/mls-group.js'
import { envelopeKey } from './cipher-log.js'
import { receiptsOf, toMessageView, type ConversationRecord, type StoredMessage } from './message-log.js'
import { noteAck, noteGaveUp } from './receipts.js'
import { CHAT_PROTOCOL } from './chat-frames.js'
import { createOutbox, type Outbox, type OutboxEntry, type OutboxInit } from './outbox.js'
import type { MessageView, PeerIdString } from '../api/contract.js'
import type { StoreBatch } from '../store/store.js'
import type { ChatContext } from './chat-context.js'
import type { AppPayload, Envelope } from './envelope.js'

/** Getting envelopes to members: the outbox, acknowledgements, and sealing a payload for a group. */
export interface Delivery {
  readonly outbox: Outbox
  /** Queues an envelope for these devices (and a copy for each mailbox that may hold it); returns who to kick. */
  enqueue: (batch: StoreBatch, record: ConversationRecord, env: Pick<Envelope, 'conv' | 'author' | 'seq'>, envKey: string, to: PeerIdString[], messageKey: string | null) => PeerIdString[]
  kickAll: (peers: PeerIdString[]) => void
  /** Encrypts one payload into the conversation's current group and queues it for every member. */
  sealAndQueue: (batch: StoreBatch, record: ConversationRecord, build: (seq: number, hlc: number) => AppPayload, messageKey?: (payload: AppPayload, env: Envelope) => string, held?: { seq: number; hlc: number }) => Promise<{ env: Envelope; recipients: PeerIdString[] }>
  /** Advances the gapless high-water mark of an author's envelopes (what catch-up asks beyond); true if it moved. */
  markSeen: (record: ConversationRecord, author: string, seq: number) => boolean
  /**
   * Moves an author's mark over envelopes stored ahead of a gap that is now filled (reads the
   * cipher log, including what was put in a batch not written yet). Without it the mark stayed
   * at the gap for good: every catch-up fetched all of the author's later envelopes again, and a
   * copy of the envelope after the mark was taken for new and decrypted a second time.
   */
  passStored: (record: ConversationRecord, author: string) => Promise<void>
  /** This device's message, kept in memory while acknowledgements come in. */
  trackPending: (key: string, msg: StoredMessage) => void
  /**
   * Changes a stored message's record (`change` returns whether it did) in the queue that writes
   * acknowledgements, on the copy kept in memory for them if there is one: a recall's erasure is
   * never undone by an acknowledgement written from an older copy.
   */
  rewrite: (key: string, change: (msg: StoredMessage) => boolean) => Promise<void>
  /** Stops delivering (the outbox) and listening for member changes. */
  stop: () => Promise<void>
}

export function createDelivery(ctx: ChatContext, outboxInit: OutboxInit): Delivery {
  const { store, clock, emit, self, log, messages, cipher, groups, components } = ctx
  const { currentGroup } = ctx.rules

  const outbox: Outbox = createOutbox({
    store,
    log: log.child('outbox'),
    openStream: (peer, signal) => components.protocols.dial(peer, CHAT_PROTOCOL, signal),
    load: (envKeys) => cipher.get(envKeys),
    onAcked: (peer, entries, batch) => { handedOver(peer, entries, batch); queueAcks(peer, entries, 'delivered'); return () => undefined },
    onExpired: (peer, entries, batch) => { handedOver(peer, entries, batch); queueAcks(peer, entries, 'failed'); return () => undefined },
    onSent: () => undefined
  }, outboxInit)

  /** At a mailbox: a deposit every recipient has (or whose copies expired) frees its room and is forgotten. */
  const handedOver = (peer: PeerIdString, entries: OutboxEntry[], batch: StoreBatch): void => {
    const quota = ctx.mailboxQuota
    if (quota === null) return
    for (const e of entries) if (e.messageKey === null && quota.handedOver(batch, e.envKey, peer)) cipher.drop(batch, e.envKey)
  }

  /**
   * This device's messages change state as recipients acknowledge (receipts.ts): sent once a
   * member or a mailbox has stored it, delivered once every member has. An ack counts only from
   * the device the copy was queued for: the outbox reads it on that device's own stream. Updates
   * run one after another, so two acks for one message never race.
   */
  let ackChain: Promise<unknown> = Promise.resolve()
  const pendingUpdates = new Map<string, StoredMessage>()
  function queueAcks(peer: PeerIdString, entries: OutboxEntry[], outcome: 'delivered' | 'failed'): void {
    // A mailbox's copy (`for` set) shows the message is safe, never that a member has it; and a
    // copy the mailbox never took does not make the message undelivered while members may get it.
    const mine = entries.filter((e) => e.messageKey !== null && (e.for === undefined || outcome === 'delivered'))
    if (mine.length === 0) return
    const at = Date.now()
    ackChain = ackChain.then(async () => {
      const keysToLoad = mine.map((e) => e.messageKey ?? '').filter((k) => !pendingUpdates.has(k))
      const loaded = await messages.byKeys(keysToLoad)
      keysToLoad.forEach((k, i) => { const m = loaded[i]; if (m !== undefined) pendingUpdates.set(k, m) })
      const batch = store.batch()
      const views = new Map<string, MessageView>()
      for (const e of mine) {
        const key = e.messageKey ?? ''
        const msg = pendingUpdates.get(key)
        const receipts = msg === undefined ? undefined : receiptsOf(msg)
        if (msg === undefined || receipts === undefined) continue
        const changed = e.for !== undefined
          ? receipts.boxed !== true && (receipts.boxed = true)
          : outcome === 'delivered' ? noteAck(receipts, peer, at) : noteGaveUp(receipts, peer)
        if (!changed) continue
        const view = toMessageView(msg, key, messages.conversation(msg.conv))
        msg.state = view.state
        messages.update(batch, key, msg)
        if (view.state === 'delivered' || view.state === 'failed') pendingUpdates.delete(key)
        views.set(key, view)
      }
      if (batch.length > 0) await batch.write()
      for (const v of await ctx.decorate([...views.values()])) emit('chat.messageUpdated', v)
    }).catch((err: unknown) => { log.warn('could not record acknowledgements', { error: errorMessage(err) }) })
  }

  /**
   * A conversation's members changed: this device's messages still waiting there are counted
   * against the new members (a device removed before it got one is owed nothing), so they may
   * now be delivered. Only the messages tracked in memory are rewritten; others are counted
   * afresh whenever read.
   */
  const lastMembers = new Map<string, readonly PeerIdString[]>()
  const offChanged = ctx.components.bus.on('conversation:changed', ({ id }) => {
    const record = messages.conversation(id)
    if (record === undefined) return
    const before = lastMembers.get(id)
    lastMembers.set(id, record.members)
    // Members are replaced, never edited in place, when the group changes: one comparison per event.
    if (before === undefined || before === record.members) return
    ackChain = ackChain.then(async () => {
      const batch = store.batch()
      const views: MessageView[] = []
      for (const [key, msg] of pendingUpdates) {
        if (msg.conv !== id) continue
        const view = toMessageView(msg, key, record)
        if (view.state === msg.state) continue
        msg.state = view.state
        messages.update(batch, key, msg)
        if (view.state === 'delivered') pendingUpdates.delete(key)
        views.push(view)
      }
      if (batch.length > 0) await batch.write()
      for (const v of await ctx.decorate(views)) emit('chat.messageUpdated', v)
    }).catch((err: unknown) => { log.warn('could not recount deliveries', { error: errorMessage(err) }) })
  })

  const rewrite = (key: string, change: (msg: StoredMessage) => boolean): Promise<void> => {
    const done = ackChain.then(async () => {
      const msg = pendingUpdates.get(key) ?? (await messages.byKeys([key]))[0]
      if (msg === undefined || !change(msg)) return
      const batch = store.batch()
      messages.update(batch, key, msg)
      await batch.write()
    })
    ackChain = done.catch((err: unknown) => { log.warn('could not rewrite a message', { error: errorMessage(err) }) })
    return done
  }

  /** Queues an envelope for these devices (and a copy for each mailbox that may hold it). */
  const enqueue = (batch: StoreBatch, record: ConversationRecord, env: Pick<Envelope, 'conv' | 'author' | 'seq'>, envKey: string, to: PeerIdString[], messageKey: string | null): PeerIdString[] => {
    const recipients = [...new Set(to)].filter((d) => d !== self)
    const base = { envKey, conv: env.conv, author: env.author, seq: env.seq, enqueuedAt: Date.now() }
    for (const peer of recipients) outbox.enqueue(batch, peer, { ...base, messageKey })
    for (const box of components.mailboxes()) {
      if (box === self || recipients.includes(box) || !ctx.rules.mayHold(record.id, box) || recipients.length === 0) continue
      outbox.enqueue(batch, box, { ...base, messageKey, for: recipients })
      recipients.push(box)
    }
    return recipients
  }

  const kickAll = (peers: PeerIdString[]): void => { for (const p of peers) outbox.kick(p) }

  /** Encrypts one payload into the conversation's current group and queues it for every member. */
  const sealAndQueue = async (batch: StoreBatch, record: ConversationRecord, build: (seq: number, hlc: number) => AppPayload, messageKey?: (payload: AppPayload, env: Envelope) => string, held?: { seq: number; hlc: number }): Promise<{ env: Envelope; recipients: PeerIdString[] }> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    // A held message took its number before; it is sent under the same rule as a new one.
    if (held !== undefined) ctx.resync.check(record)
    const seq = held?.seq ?? ctx.resync.takeSeq(record)
    const payload = build(seq, held?.hlc ?? clock.now())
    const sealed = await encryptApplication(group.state, cborEncode(payload))
    groups.stage(batch, group.id, sealed.state)
    const env = ctx.sign({ v: 3, conv: record.id, author: self, seq, kind: 'app', epoch: epochOf(group.state), mls: sealed.message })
    const envKey = cipher.put(batch, env)
    markSeen(record, self, seq)
    const mk = messageKey?.(payload, env) ?? null
    const recipients = enqueue(batch, record, env, envKey, record.members, mk)
    messages.saveConversation(batch, record)
    return { env, recipients }
  }

  const markSeen = (record: ConversationRecord, author: string, seq: number): boolean => {
    if (seq !== (record.seen[author] ?? 0) + 1) return false
    record.seen[author] = seq
    return true
  }

  const passStored = async (record: ConversationRecord, author: string): Promise<void> => {
    for (;;) {
      const next = (record.seen[author] ?? 0) + 1
      const [env] = await cipher.get([envelopeKey(record.id, author, next)])
      if (env === undefined) return
      record.seen[author] = next
    }
  }

  return { outbox, enqueue, kickAll, sealAndQueue, markSeen, passStored, rewrite, trackPending: (key, msg) => { pendingUpdates.set(key, msg) }, stop: async () => { offChanged(); await outbox.stop() } }
}
