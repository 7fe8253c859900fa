import { EnclaveError } from '../errors.js'
import { MAX_TEXT_LENGTH, type Envelope } from './envelope.js'
import { dmConversationId, isConversationId, parseMessageId, parsePeerId } from './ids.js'
import { createMessageLog, storedFromEnvelope, toConversationView, toMessageView, type ConversationRecord, type HistoryQuery, type StoredMessage } from './message-log.js'
import { createOutbox, type Outbox, type OutboxEntry, type OutboxInit } from './outbox.js'
import type { ConversationId, ConversationRef, ConversationView, Emit, MessageView, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { HybridClock } from './hybrid-clock.js'
import type { Stream } from '@libp2p/interface'

export interface ChatComponents {
  store: Store
  log: Logger
  clock: HybridClock
  emit: Emit
  self: PeerIdString
  openStream(peer: PeerIdString, signal: AbortSignal): Promise<Stream>
}

export interface ChatService {
  send(ref: ConversationRef, text: string): Promise<MessageView>
  history(ref: ConversationRef, query: HistoryQuery): Promise<MessageView[]>
  conversations(): Promise<ConversationView[]>
  /** The DM with a peer, created empty if needed. */
  open(peerId: string): Promise<ConversationView>
  retry(messageId: string): Promise<MessageView>
  markRead(conversationId: string): Promise<ConversationView>
  /** Stores what a peer sent (dropping duplicates); resolves once durable. Envelopes must pass `checkEnvelope`. */
  receive(from: PeerIdString, envs: Envelope[]): Promise<void>
  /** Throws `wrong-author` / `wrong-conversation` unless `env` may come from `from`. */
  checkEnvelope(from: PeerIdString, env: Envelope): void
  /** A peer is reachable again: deliver what is queued for it now. */
  peerConnected(peer: PeerIdString): void
  /** Restarts delivery of everything queued before the last shutdown. */
  start(): Promise<void>
  stop(): Promise<void>
}

export async function createChatService(components: ChatComponents, outboxInit: OutboxInit = {}): Promise<ChatService> {
  const { store, clock, emit, self, log } = components
  const messages = await createMessageLog(store)

  const announceConversation = async (record: ConversationRecord): Promise<ConversationView> => {
    const last = record.lastKey === null ? undefined : (await messages.byKeys([record.lastKey]))[0]
    const view = toConversationView(record, last === undefined || record.lastKey === null ? null : toMessageView(last, record.lastKey))
    emit('conversations.changed', view)
    return view
  }

  const stateChange = (entries: OutboxEntry[], state: 'delivered' | 'failed', batch: Parameters<Outbox['enqueue']>[0]): (() => void) => {
    const views = entries.map((e) => {
      const msg = storedFromEnvelope(e.env, state, true)
      messages.update(batch, e.messageKey, msg)
      return toMessageView(msg, e.messageKey)
    })
    return () => { for (const v of views) emit('chat.messageUpdated', v) }
  }

  const outbox: Outbox = createOutbox({
    store,
    log: log.child('outbox'),
    openStream: (peer, signal) => components.openStream(peer, signal),
    onAcked: (_peer, entries, batch) => stateChange(entries, 'delivered', batch),
    onExpired: (_peer, entries, batch) => stateChange(entries, 'failed', batch),
    onSent: (_peer, entries) => {
      for (const e of entries) emit('chat.messageUpdated', toMessageView(storedFromEnvelope(e.env, 'pending', true), e.messageKey, 'sent'))
    }
  }, outboxInit)

  /** The conversation a request names; a peer reference creates the DM record lazily. */
  const resolve = (ref: ConversationRef): { id: ConversationId; peer: PeerIdString } => {
    if ('peerId' in ref) {
      const peer = parsePeerId(ref.peerId)
      if (peer === self) throw new EnclaveError('bad-request', 'cannot start a conversation with this device itself')
      return { id: dmConversationId(self, peer), peer }
    }
    if (!isConversationId(ref.conversationId)) throw new EnclaveError('bad-request', `not a conversation id: ${ref.conversationId.slice(0, 80)}`)
    const record = messages.conversation(ref.conversationId)
    if (record === undefined) throw new EnclaveError('not-found', `no conversation ${ref.conversationId}`)
    return { id: record.id, peer: record.peerId }
  }

  const enqueue = async (peer: PeerIdString, env: Envelope, messageKey: string, batch: ReturnType<Store['batch']>): Promise<void> => {
    outbox.enqueue(batch, peer, { messageKey, env, enqueuedAt: Date.now() }, clock.now())
    await batch.write()
    outbox.kick(peer)
  }

  return {
    send: async (ref, text) => {
      if (text.trim().length === 0) throw new EnclaveError('bad-request', 'message text is empty')
      if (text.length > MAX_TEXT_LENGTH) throw new EnclaveError('too-large', `message text longer than ${MAX_TEXT_LENGTH} characters`)
      const { id, peer } = resolve(ref)
      const batch = store.batch()
      const record = messages.dmConversation(id, peer, batch)
      const env: Envelope = { v: 1, conv: id, author: self, seq: record.nextSeq, hlc: clock.now(), body: { type: 'text', text } }
      record.nextSeq += 1
      const msg = storedFromEnvelope(env, 'pending', true)
      const key = messages.append(batch, msg, { countUnread: false })
      try {
        await enqueue(peer, env, key, batch)
      } catch (err) {
        // Nothing was written: give the sequence number back so the author's seqs stay gapless.
        record.nextSeq -= 1
        throw new EnclaveError('store-error', 'could not store the message', { cause: err })
      }
      const view = toMessageView(msg, key)
      emit('chat.messageAdded', view)
      await announceConversation(record)
      return view
    },

    history: async (ref, query) => {
      const { id } = resolve(ref)
      const page = await messages.history(id, query)
      return page.map(({ key, msg }) => toMessageView(msg, key))
    },

    conversations: async () => {
      const records = messages.conversations().sort((a, b) => (b.lastKey ?? '').localeCompare(a.lastKey ?? ''))
      const lasts = await messages.byKeys(records.map((r) => r.lastKey ?? ''))
      return records.map((r, i) => {
        const last = lasts[i]
        return toConversationView(r, last === undefined || r.lastKey === null ? null : toMessageView(last, r.lastKey))
      })
    },

    open: async (peerId) => {
      const { id, peer } = resolve({ peerId })
      const existing = messages.conversation(id)
      if (existing !== undefined) return announceConversation(existing)
      const batch = store.batch()
      const record = messages.dmConversation(id, peer, batch)
      await batch.write()
      return announceConversation(record)
    },

    retry: async (messageId) => {
      const { conv, author, seq } = parseMessageId(messageId)
      const found = await messages.find(conv, author, seq)
      if (found === undefined) throw new EnclaveError('not-found', `no message ${messageId}`)
      if (!found.msg.mine || found.msg.state !== 'failed') throw new EnclaveError('bad-request', 'only a failed message of this device can be retried')
      const record = messages.conversation(conv)
      if (record === undefined) throw new EnclaveError('not-found', `no conversation ${conv}`)
      const msg: StoredMessage = { ...found.msg, state: 'pending' }
      const batch = store.batch()
      messages.update(batch, found.key, msg)
      await enqueue(record.peerId, { v: 1, conv, author, seq, hlc: msg.hlc, body: { type: 'text', text: msg.text } }, found.key, batch)
      const view = toMessageView(msg, found.key)
      emit('chat.messageUpdated', view)
      return view
    },

    markRead: async (conversationId) => {
      const { id } = resolve({ conversationId })
      const batch = store.batch()
      const record = messages.markRead(batch, id)
      await batch.write()
      return announceConversation(record)
    },

    checkEnvelope: (from, env) => {
      if (env.author !== from) throw new EnclaveError('wrong-author', `envelope claims author ${env.author.slice(0, 60)} but came from ${from}`)
      if (env.conv !== dmConversationId(self, from)) throw new EnclaveError('wrong-conversation', `conversation ${env.conv.slice(0, 60)} is not shared with ${from}`)
    },

    receive: async (from, envs) => {
      if (envs.length === 0) return
      const first = envs[0]
      if (first === undefined) return
      const known = await messages.known(first.conv as ConversationId, envs)
      const seen = new Set<number>()
      const batch = store.batch()
      const record = messages.dmConversation(first.conv as ConversationId, from, batch)
      const added: MessageView[] = []
      envs.forEach((env, i) => {
        if (known[i] === true || seen.has(env.seq)) return
        seen.add(env.seq)
        clock.observe(env.hlc)
        const msg = storedFromEnvelope(env, 'received', false)
        const key = messages.append(batch, msg, { countUnread: true })
        added.push(toMessageView(msg, key))
      })
      if (added.length === 0) return
      await batch.write()
      for (const view of added) emit('chat.messageAdded', view)
      await announceConversation(record)
    },

    peerConnected: (peer) => { outbox.kick(peer) },

    start: async () => {
      for (const peer of await outbox.peersWithPending()) outbox.kick(peer)
    },

    stop: () => outbox.stop()
  }
}
