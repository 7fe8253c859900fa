import { hlcToMs } from './hybrid-clock.js'
import { EnclaveError, errorMessage } from '../errors.js'
import { deviceOfCredential } from '../crypto/mls-credential.js'
import { createGroupState, epochOf } from '../crypto/mls-group.js'
import { mlsClientConfig, mlsSuite } from '../crypto/mls-suite.js'
import { mlsExporter } from 'ts-mls'
import { createCipherLog, envelopeKey } from './cipher-log.js'
import { conversationOfGroup, createConversationRules } from './conversation-rules.js'
import { createDelivery } from './delivery.js'
import { createMailboxQuota } from './mailbox-quota.js'
import { createEnvelopeSigner } from './envelope-signature.js'
import { CHAT_PROTOCOL } from './chat-frames.js'
import { serveChatStream } from './chat-protocol.js'
import { parseMessageId } from '../ids.js'
import { MAX_TEXT_LENGTH, textLength } from '../limits.js'
import { createGroupKeys } from './group-keys.js'
import { askGroup, GROUP_PROTOCOL, serveGroupStream } from './group-protocol.js'
import { createGapWatch } from './gap-watch.js'
import { createRestoreResync } from './restore-resync.js'
import { createGroupService } from './group-service.js'
import { createHistoryTransfer } from './history-transfer.js'
import { createGroupStates } from './group-states.js'
import { newChannelId, workspaceChannelId } from './ids.js'
import { createResolver } from './conversation-resolver.js'
import { createDmMigration } from './dm-migration.js'
import { createInbound } from './inbound.js'
import { createMembership } from './membership.js'
import { createMessageActions, type MessageActions } from './message-actions.js'
import { createMessageLog, receiptsOf, recipientsNow, toConversationView, toMessageView, type ConversationRecord, type HistoryQuery, type StoredMessage } from './message-log.js'
import { recipientsOf, rewait, unacknowledged } from './receipts.js'
import { createSending, type Outgoing } from './sending.js'
import { createReadReceipts } from './read-receipts.js'
import { createHeldRetry } from './held-retry.js'
import { createAnnotationLog } from './annotation-log.js'
import { createTyping } from './typing.js'
import { createMessageSearch, historySource, indexOnAppend, type MessageSearchResult } from './message-search.js'
import { shownHistory } from './shown-history.js'
import { fileRefOf } from './file-message.js'
import type { FileRef } from './envelope.js'
import type { ChannelSummary, ChannelVisibility, ConversationId, ConversationRef, ConversationView, DocId, MessageId, MessageInfo, MessageSearchInput, MessageView, NotifyLevel, PeerIdString, SearchIndexView, WorkspaceId } from '../api/contract.js'
import type { ChatComponents, ChatContext } from './chat-context.js'
import type { FillSource } from '../search/search-index.js'
import { nextOutboxCounter, type OutboxInit } from './outbox.js'
import type { Stream } from '@libp2p/interface'

/** What another feature may use of a conversation's MLS group: never its state, only exports. */
export interface GroupAccess {
  epoch: number
  /** Devices in the group now, this one excluded. */
  members: PeerIdString[]
  /** A channel's workspace; null for a DM. */
  workspaceId: WorkspaceId | null
  /** A DM's other device; null for a channel. */
  peerId: PeerIdString | null
  /** RFC 9420 §8.5 MLS-Exporter of the current epoch: 32 bytes, bound to `label` and `context`. */
  exportSecret(label: string, context: Uint8Array): Promise<Uint8Array>
}

export type { ChatComponents } from './chat-context.js'
export type { MembershipPolicy } from './membership-policy.js'

/** A file message as the files service needs it: where it was shared, by whom, and the file. */
export interface FileMessage {
  conv: ConversationId
  author: PeerIdString
  mine: boolean
  /** When its author sent it, ms since the epoch. */
  sentAt: number
  file: FileRef
}

/** What a message may carry besides its text. */
export interface SendExtra {
  file?: FileRef
  replyTo?: MessageId
  mentions?: PeerIdString[]; mentionAll?: boolean
  /** A reply in that message's thread; `echo`: also shown in the conversation. */
  threadOf?: MessageId
  echo?: boolean
}

export interface ChatService {
  /**
   * Sends a message; with `file`, a file message whose caption is `text` (may be empty).
   * `replyTo` quotes a message of the conversation; `mentions` (devices) and `mentionAll` @mention.
   */
  send(ref: ConversationRef, text: string, extra?: SendExtra): Promise<MessageView>
  /** Messages that mention this device, every conversation, newest first. */
  mentions(limit: number): Promise<MessageView[]>
  /** A message and the replies in its thread, oldest first. */
  thread(messageId: MessageId): Promise<{ root: MessageView; replies: MessageView[] }>
  /** This device's person is typing in the conversation: members connected now are told (at most every 3 s). */
  typing(conversationId: ConversationId): void
  /** Reactions, edits, recalls and pins on stored messages. */
  readonly actions: Pick<MessageActions, 'react' | 'edit' | 'recall' | 'pin' | 'pins' | 'save' | 'saved' | 'sendUnchecked'>
  /** The file a message shared, or undefined if it is no file message of a conversation here. */
  fileMessage(messageId: MessageId): Promise<FileMessage | undefined>
  history(ref: ConversationRef, query: HistoryQuery): Promise<MessageView[]>
  conversations(): Promise<ConversationView[]>
  /** The DM with a peer's person (or the peer alone, outside any shared workspace), created empty if needed. */
  open(peerId: PeerIdString): Promise<ConversationView>
  /** The conversation a reference names: for a peer, the id of the DM `open` makes. */
  idOf(ref: ConversationRef): ConversationId
  retry(messageId: MessageId): Promise<MessageView>
  /** A message with, for this device's own, each recipient device's delivery state. */
  messageInfo(messageId: MessageId): Promise<MessageInfo>
  /** Marks a conversation read here and (`receipt`) tells its members, batched. */
  markRead(conversationId: ConversationId, receipt?: boolean): Promise<ConversationView>
  /** Mutes (only mentions notify and count) or unmutes a conversation on this device. */
  mute(conversationId: ConversationId, level: NotifyLevel): Promise<ConversationView>
  createChannel(input: { workspaceId: WorkspaceId; name: string; topic?: string; visibility?: ChannelVisibility; members?: PeerIdString[] }): Promise<ConversationView>
  addMembers(conversationId: ConversationId, members: PeerIdString[]): Promise<ConversationView>
  removeMember(conversationId: ConversationId, peerId: PeerIdString): Promise<ConversationView>
  leave(conversationId: ConversationId): Promise<ConversationView>
  updateChannel(conversationId: ConversationId, change: { name?: string; topic?: string; archived?: boolean }): Promise<ConversationView>
  browse(workspaceId: WorkspaceId): Promise<ChannelSummary[]>
  join(conversationId: ConversationId): Promise<ConversationView>
  /** Sends a doc edit to every member as a conversation message: durable, acknowledged, through mailboxes. */
  sendDocEdit(conversationId: ConversationId, doc: DocId, update: Uint8Array): Promise<void>
  /** A conversation's current MLS group, for data sealed with keys exported from its epoch (docs). */
  groupAccess(conversationId: ConversationId): GroupAccess | null
  /** Sets up a DM's group if it has none yet (a call placed before any message). */
  prepareGroup(conversationId: ConversationId): Promise<void>
  /** Mailboxes that keep this conversation's envelopes (and files) for its members while they are away. */
  mailboxesFor(conversationId: ConversationId): PeerIdString[]
  /** This device's messages and files by words, sender, time and more; newest first (message-search.ts). */
  search(input: MessageSearchInput): Promise<MessageSearchResult>
  searchIndex(): SearchIndexView
  /** The stored history as the search index takes it, for an index built afresh. */
  readonly searchSource: FillSource
  /** Delivers what waited in the outbox and processes envelopes held from the last run. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Conversations as MLS groups. Every DM and channel is a group; every message leaves this
 * device only as MLS ciphertext inside an envelope, and arrives through the same path whether
 * it came from its author, a mailbox or a member helping another catch up.
 *
 * The parts: conversation-rules (who may be where, who commits), delivery (outbox, acks,
 * sealing), membership (commits and requests under the committer policy), inbound (storing and
 * processing envelopes), sending (grouped and held messages), group-service (the group protocol).
 * This file is the API over them.
 */
export async function createChatService(components: ChatComponents, outboxInit: OutboxInit = {}): Promise<ChatService> {
  const { store, clock, emit, self, log, policy, bus, protocols } = components
  const index = components.index
  const messages = await createMessageLog(store, indexOnAppend(index))
  const cipher = createCipherLog(store)
  const keys = await createGroupKeys(store, components.deviceKey, self)
  // The credential check needs the rules, which need the group states: tied through `rules` below.
  const configFor = (groupId: string) => mlsClientConfig({ validateCredential: async (credential, key) => {
    const device = await deviceOfCredential(credential, key)
    return device !== null && rules.mayBeIn(conversationOfGroup(groupId), device)
  } })
  const groups = await createGroupStates(store, configFor, (conv, ms) => { log.warn('a conversation task is taking long; its envelopes wait', { conv, ms, code: 'timeout' }) })
  const rules = createConversationRules({ self, policy, messages, groups, log })
  /** The view of a conversation's newest message, decorated (a recalled one shows as recalled in the list too). */
  const lastOf = async (record: ConversationRecord, last: StoredMessage | undefined): Promise<MessageView | null> => {
    if (last === undefined || record.lastKey === null) return null
    const [v = null] = await actions.decorate([toMessageView(last, record.lastKey, record)])
    return v
  }
  const viewRules = (record: ConversationRecord): ReturnType<typeof rules.viewRules> & Pick<ConversationView, 'afterRestore' | 'peerId'> => ({ ...rules.viewRules(record), afterRestore: ctx.resync.state(record.id), peerId: rules.dmPeer(record) })
  const view = async (record: ConversationRecord): Promise<ConversationView> => {
    const last = record.lastKey === null ? undefined : (await messages.byKeys([record.lastKey]))[0]
    return toConversationView(record, await lastOf(record, last), viewRules(record), gaps.onTheWay(record))
  }
  const announce = async (record: ConversationRecord, last?: MessageView): Promise<ConversationView> => {
    const v = last === undefined ? await view(record) : toConversationView(record, last, viewRules(record), gaps.onTheWay(record))
    emit('conversations.changed', v)
    bus.emit('conversation:changed', { id: record.id, peer: record.kind === 'dm' ? record.peerId : null })
    return v
  }
  const openGroupStream = (peer: PeerIdString, signal: AbortSignal): Promise<Stream> => protocols.dial(peer, GROUP_PROTOCOL, signal)
  const mailboxQuota = components.mailbox === true ? createMailboxQuota(store, components.mailboxLimits) : null
  await mailboxQuota?.start()
  // A mailbox's queued copies expire with the deposits they hand over.
  if (mailboxQuota !== null) outboxInit = { ...outboxInit, maxAgeMs: outboxInit.maxAgeMs ?? mailboxQuota.retentionMs }
  const ctx: ChatContext = { components, mailboxQuota, store, log, clock, emit, self, policy, messages, cipher, keys, groups, rules, sign: createEnvelopeSigner(components.deviceKey), openGroupStream, configFor, announce, decorate: (views) => Promise.resolve(views), annotations: createAnnotationLog(store), index, resync: await createRestoreResync(store.collection('meta'), components.restoredFrom ?? null, () => messages.conversations().filter((r) => r.members.some((m) => m !== self)), log) }
  const delivery = createDelivery(ctx, { firstCounter: await nextOutboxCounter(store), ...outboxInit })
  /** A mailbox drops deposits past their retention (the queued copies expire by the same age). */
  const sweep = async (): Promise<void> => {
    if (mailboxQuota === null) return
    const batch = store.batch()
    const old = mailboxQuota.sweep(batch, Date.now())
    for (const key of old) cipher.drop(batch, key)
    if (old.length > 0) log.info('dropped deposits past their retention', { count: old.length })
    await batch.write()
  }
  await sweep()
  const sweepTimer = mailboxQuota === null ? undefined : setInterval(() => { sweep().catch((err: unknown) => { log.warn('mailbox sweep failed', { error: errorMessage(err) }) }) }, Math.min(3600_000, Math.max(1_000, mailboxQuota.retentionMs / 4))).unref()
  const membership = createMembership(ctx, delivery)
  // Catch-up is the group service's, which needs inbound, which tells the gap watch what it stored.
  const gaps = createGapWatch(ctx, {
    catchUp: (peer, record) => groupService.catchUp(peer, record),
    tell: async (peer, convs) => { await askGroup(await openGroupStream(peer, AbortSignal.timeout(10_000)), { t: 'heads', convs }) }
  })
  const receipts = createReadReceipts(ctx, delivery)
  /** A DM's group is made (key packages fetched, welcomes sent) before anything needs it. */
  const groupReady = async (record: ConversationRecord): Promise<void> => { requireActive(record); if (record.kind === 'dm' && rules.currentGroup(record) === undefined) await groups.serial(record.id, () => membership.ensureDmGroup(record)) }
  const actions = createMessageActions(ctx, {
    delivery,
    // A reaction to a message moved from an old DM may come before anything was sent in the person DM.
    ready: (record) => groupReady(record),
    readBy: (record, view) => receipts.readBy(record, view)
  })
  const decorate = (views: MessageView[]): Promise<MessageView[]> => actions.decorate(views)
  ctx.decorate = decorate
  const inbound = createInbound(ctx, delivery, membership, gaps, actions, receipts)
  const sending = createSending(ctx, delivery, membership)
  const typing = createTyping(ctx, async (peer, conv) => { await askGroup(await openGroupStream(peer, AbortSignal.timeout(3_000)), { t: 'typing', conv }) })
  const groupService = createGroupService(ctx, membership, inbound, gaps, typing)
  const history = createHistoryTransfer(ctx, actions)
  const migration = createDmMigration(ctx, history)
  /** A device that takes part in conversations (not a mailbox or relay, which only carry them). */
  const member = components.mailbox !== true && components.service !== true
  const { outbox, enqueue, kickAll, sealAndQueue, trackPending } = delivery
  const { commitAsCommitter, request, ensureDmGroup } = membership
  const { queueText, holdText, flushHeld } = sending
  const retryHeld = createHeldRetry(flushHeld, log)
  const { mayBeIn, canManage, currentGroup, refreshMembers, channelInfoOf } = rules
  /** Open channels colleagues told of in `browse`, and who told: `join` asks them. */
  const browsed = new Map<string, { via: PeerIdString; summary: ChannelSummary }>()

  const resolve = createResolver({ self, store, messages, policy })

  /** A channel with this device in it as creator and committer, adding `members` (devices). */
  const newChannel = async (input: Parameters<ChatService['createChannel']>[0], id: ConversationId): Promise<ConversationView> => {
    if (!policy.isActiveDevice(input.workspaceId, self)) throw new EnclaveError('not-member', 'this device is not an active member of that workspace')
    const batch = store.batch()
    const record = messages.ensure(id, batch, () => ({
      kind: 'channel', workspaceId: input.workspaceId, name: input.name.trim(), topic: input.topic ?? '', visibility: input.visibility ?? 'private', creator: self, metaHlc: clock.now(), status: 'active'
    }))
    const own = await keys.issue()
    const groupId = `${id}/${self}`
    const state = await createGroupState(groupId, own, configFor(groupId))
    await keys.consume(own.ref)
    groups.stage(batch, groupId, state)
    refreshMembers(record, state)
    messages.saveConversation(batch, record)
    await batch.write()
    const members = (input.members ?? []).filter((d) => d !== self)
    if (members.length > 0) await groups.serial(id, () => commitAsCommitter(record, { add: members }))
    return announce(record)
  }

  /** The first message of the thread a reply goes in: `id`'s own root if `id` is itself a reply. */
  const threadRoot = async (record: ConversationRecord, id: MessageId): Promise<{ author: PeerIdString; seq: number }> => {
    const { conv, author, seq } = parseMessageId(id)
    const found = conv === record.id ? await messages.find(conv, author, seq) : undefined
    if (found === undefined) throw new EnclaveError('not-found', 'the thread\'s message is not in this conversation')
    return found.msg.thread ?? { author, seq }
  }

  const requireActive = (record: ConversationRecord): void => {
    if (record.status === 'removed') throw new EnclaveError('not-member', 'this device was removed from the conversation')
    if (record.status === 'left') throw new EnclaveError('not-member', 'this device left the conversation')
    if (record.archived) throw new EnclaveError('bad-request', 'the channel is archived')
  }

  const channel = (conversationId: ConversationId): ConversationRecord => {
    const record = resolve({ conversationId })
    if (record.kind !== 'channel') throw new EnclaveError('bad-request', 'not a channel')
    return record
  }

  const service: ChatService = {
    actions,
    send: async (ref, text, extra = {}) => {
      const { file, replyTo, threadOf } = extra
      if (file === undefined && text.trim().length === 0) throw new EnclaveError('bad-request', 'message text is empty')
      if (textLength(text) > MAX_TEXT_LENGTH) throw new EnclaveError('too-large', `message text longer than ${MAX_TEXT_LENGTH} characters`)
      const record = resolve(ref)
      requireActive(record)
      const quoted = replyTo === undefined ? undefined : parseMessageId(replyTo)
      if (quoted !== undefined && (quoted.conv !== record.id || await messages.find(record.id, quoted.author, quoted.seq) === undefined)) throw new EnclaveError('not-found', 'the message replied to is not in this conversation')
      if (extra.mentionAll === true && !canManage(record)) throw new EnclaveError('unauthorized', 'only the channel\'s creator or a workspace admin can mention everyone')
      const thread = threadOf === undefined ? undefined : await threadRoot(record, threadOf)
      const out: Outgoing = {
        ...(thread === undefined ? {} : { thread, ...(extra.echo === true ? { echo: true } : {}) }),
        text,
        ...(file === undefined ? {} : { file }),
        ...(quoted === undefined ? {} : { reply: { author: quoted.author, seq: quoted.seq } }),
        ...(extra.mentions === undefined ? {} : { mentions: [...new Set(extra.mentions)].filter((d) => record.members.includes(d) || d === record.peerId) }),
        ...(extra.mentionAll === true ? { all: true } : {})
      }
      // The queued send resolves after this task: it is handed out, not awaited, inside it.
      const next = await groups.serial(record.id, async () => {
        // A DM with no group yet: the message is stored (pending, in its place) at once and sent
        // when the group is set up, which needs the peer's key package from the network. Setting
        // it up first kept the send (and this conversation's queue) waiting for a dial of up to
        // 15 s when the peer was away or not found yet.
        if (record.kind === 'dm' && (currentGroup(record) === undefined || record.heldKeys.length > 0)) {
          const held = await holdText(record, out)
          // Queued behind this task, never awaited inside it.
          retryHeld.tryHeld(record)
          return { queued: Promise.resolve(held) }
        }
        return { queued: queueText(record, out) }
      })
      const view = await next.queued
      // The thread's first message shows one more reply.
      if (thread !== undefined) await actions.changed(record, thread)
      return view
    },

    mentions: (limit) => actions.mentions(limit),
    thread: (messageId) => actions.thread(messageId),
    typing: (conversationId) => { typing.typing(resolve({ conversationId })) },

    fileMessage: async (messageId) => {
      const { conv, author, seq } = parseMessageId(messageId)
      const found = await messages.find(conv, author, seq)
      if (found?.msg.file === undefined) return undefined
      return { conv, author, mine: found.msg.mine, sentAt: hlcToMs(found.msg.hlc), file: fileRefOf(found.msg.file) }
    },

    history: (ref, query) => shownHistory(messages, resolve(ref), query, decorate),

    conversations: async () => {
      const records = messages.conversations().filter((r) => r.movedTo === undefined).sort((a, b) => (b.lastKey ?? '').localeCompare(a.lastKey ?? ''))
      const lasts = await messages.byKeys(records.map((r) => r.lastKey ?? ''))
      return Promise.all(records.map(async (r, i) => toConversationView(r, await lastOf(r, lasts[i]), viewRules(r))))
    },

    idOf: (ref) => resolve(ref).id,
    open: async (peerId) => {
      const record = resolve({ peerId })
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      void groups.serial(record.id, () => ensureDmGroup(record)).catch(() => undefined)
      return announce(record)
    },

    retry: async (messageId) => {
      const { conv, author, seq } = parseMessageId(messageId)
      const found = await messages.find(conv, author, seq)
      if (found === undefined) throw new EnclaveError('not-found', `no message ${messageId}`)
      if (!found.msg.mine || found.msg.state !== 'failed') throw new EnclaveError('bad-request', 'only a failed message of this device can be retried')
      const record = resolve({ conversationId: conv })
      const msg: StoredMessage = { ...found.msg, state: 'pending' }
      const receipts = receiptsOf(msg)
      if (receipts !== undefined) rewait(receipts)
      const batch = store.batch()
      // The same ciphertext goes again, to those without it; recipients that have it drop the copy.
      const envKey = envelopeKey(conv, author, seq)
      const recipients = enqueue(batch, record, { conv, author, seq }, envKey, receipts === undefined ? record.members : unacknowledged(receipts, recipientsNow(record)), found.key)
      const [v = toMessageView(msg, found.key, record)] = await decorate([toMessageView(msg, found.key, record)])
      msg.state = v.state
      messages.update(batch, found.key, msg)
      await batch.write()
      trackPending(found.key, msg)
      kickAll(recipients)
      emit('chat.messageUpdated', v)
      return v
    },

    messageInfo: async (messageId) => {
      const { conv, author, seq } = parseMessageId(messageId)
      const found = await messages.find(conv, author, seq)
      if (found === undefined) throw new EnclaveError('not-found', `no message ${messageId}`)
      const record = messages.conversation(conv)
      const receipts = receiptsOf(found.msg)
      const [message = toMessageView(found.msg, found.key, record)] = await decorate([toMessageView(found.msg, found.key, record)])
      return { message, recipients: receipts === undefined ? [] : recipientsOf(receipts, record === undefined ? receipts.to : recipientsNow(record)), edits: await actions.editsOf(message, record) }
    },

    markRead: async (conversationId, receipt = true) => {
      const record = resolve({ conversationId })
      const batch = store.batch()
      messages.markRead(batch, record.id)
      await batch.write()
      receipts.read(record, receipt)
      return announce(record)
    },

    mute: async (conversationId, level) => {
      const record = resolve({ conversationId })
      Object.assign(record, { muted: level !== 'all', silent: level === 'nothing' })
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      return announce(record)
    },

    createChannel: async (input) => newChannel(input, newChannelId()),

    addMembers: async (conversationId, members) => {
      const record = channel(conversationId)
      requireActive(record)
      for (const d of members) if (!mayBeIn(record.id, d)) throw new EnclaveError('not-member', `${d} is not an active member of this workspace`)
      await groups.serial(record.id, () => request(record, 'add', members))
      return announce(record)
    },

    removeMember: async (conversationId, peerId) => {
      const record = channel(conversationId)
      requireActive(record)
      const device = peerId
      if (device === self) return service.leave(conversationId)
      if (record.visibility === 'workspace') throw new EnclaveError('bad-request', 'everyone in the workspace is in its own channel; removing them from the workspace removes them from it')
      if (!canManage(record)) throw new EnclaveError('unauthorized', 'only the channel\'s creator or a workspace admin can remove members')
      await groups.serial(record.id, () => request(record, 'remove', [device]))
      return announce(record)
    },

    leave: async (conversationId) => {
      const record = channel(conversationId)
      if (record.visibility === 'workspace') throw new EnclaveError('bad-request', 'everyone in the workspace is in its own channel; leaving the workspace leaves it')
      if (record.status !== 'active') return announce(record)
      await groups.serial(record.id, async () => {
        if (record.members.length > 1) await request(record, 'leave', [self])
        record.status = 'left'
        const batch = store.batch()
        messages.saveConversation(batch, record)
        await batch.write()
      })
      return announce(record)
    },

    updateChannel: async (conversationId, change) => {
      const record = channel(conversationId)
      if (record.status !== 'active') throw new EnclaveError('not-member', 'this device is not in the channel')
      if (change.archived !== undefined && change.archived !== record.archived && !canManage(record)) throw new EnclaveError('unauthorized', 'only the channel\'s creator or a workspace admin can archive it')
      if (record.archived && change.archived !== false) throw new EnclaveError('bad-request', 'the channel is archived')
      await groups.serial(record.id, async () => {
        const batch = store.batch()
        const hlc = clock.now()
        record.name = change.name?.trim() ?? record.name
        record.topic = change.topic ?? record.topic
        record.archived = change.archived ?? record.archived
        record.metaHlc = hlc
        const sent = await sealAndQueue(batch, record, (seq) => ({ type: 'meta', conv: record.id, author: self, seq, hlc, channel: channelInfoOf(record) }))
        await batch.write()
        kickAll(sent.recipients)
      })
      return announce(record)
    },

    browse: async (workspaceId) => {
      if (!policy.isActiveDevice(workspaceId, self)) throw new EnclaveError('not-member', 'this device is not an active member of that workspace')
      if (policy.isGuestDevice(workspaceId, self)) throw new EnclaveError('unauthorized', 'guests see only the channels they were added to')
      const peers = [...new Set([...components.connectedPeers(), ...messages.conversations().flatMap((r) => r.members)])]
      const found = new Map<string, ChannelSummary>()
      await Promise.all(peers.filter((p) => p !== self && policy.isActiveDevice(workspaceId, p)).map(async (peer) => {
        try {
          const stream = await ctx.openGroupStream(peer, AbortSignal.timeout(3_000))
          const reply = await askGroup(stream, { t: 'browse', ws: workspaceId })
          for (const c of reply.channels) {
            const summary = c
            browsed.set(c.id, { via: peer, summary })
            const before = found.get(c.id)
            if (before === undefined || before.memberCount < c.memberCount) found.set(c.id, summary)
          }
        } catch (err) {
          log.debug('browse: peer did not answer', { peer, error: errorMessage(err) })
        }
      }))
      for (const r of messages.conversations()) {
        if (r.kind === 'channel' && r.visibility === 'open' && r.workspaceId === workspaceId && !r.archived) found.set(r.id, { id: r.id, workspaceId, name: r.name ?? '', topic: r.topic, memberCount: r.members.length })
      }
      return [...found.values()].sort((a, b) => a.name.localeCompare(b.name))
    },

    sendDocEdit: async (conversationId, doc, update) => {
      const record = resolve({ conversationId })
      requireActive(record)
      await groups.serial(record.id, async () => {
        const batch = store.batch()
        const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'doc', conv: record.id, author: self, seq, hlc, doc, update }))
        await batch.write()
        kickAll(sent.recipients)
      })
    },

    mailboxesFor: (conversationId) => components.mailboxes().filter((box) => box !== self && rules.mayHold(conversationId, box)),

    prepareGroup: (conversationId) => groupReady(resolve({ conversationId })),

    groupAccess: (conversationId) => {
      const record = messages.conversation(conversationId)
      if (record === undefined || record.status !== 'active') return null
      const group = currentGroup(record)
      if (group === undefined) return null
      const { state } = group
      return {
        epoch: epochOf(state),
        // The record's members are the group's (refreshMembers copies them at every change).
        members: record.members.filter((d) => d !== self),
        workspaceId: record.workspaceId,
        peerId: record.peerId,
        exportSecret: async (label, context) => mlsExporter(state.keySchedule.exporterSecret, label, context, 32, await mlsSuite())
      }
    },

    join: async (conversationId) => {
      const known = messages.conversation(conversationId)
      if (known?.status === 'active') return announce(known)
      const hint = browsed.get(conversationId)
      if (hint === undefined) throw new EnclaveError('not-found', 'browse the workspace\'s channels first')
      const stream = await ctx.openGroupStream(hint.via, AbortSignal.timeout(10_000))
      await askGroup(stream, { t: 'join', conv: conversationId })
      const batch = store.batch()
      const record = messages.ensure(conversationId, batch, () => ({ kind: 'channel', workspaceId: hint.summary.workspaceId, name: hint.summary.name, topic: hint.summary.topic, visibility: 'open', status: 'joining' }))
      if (record.status !== 'active') record.status = 'joining'
      messages.saveConversation(batch, record)
      await batch.write()
      return announce(record)
    },

    search: createMessageSearch({ index, messages, decorate, self }),
    searchIndex: () => index?.status() ?? { state: 'ready', done: 0, total: 0 },
    searchSource: historySource(messages, ctx.annotations),
    start: async () => {
      for (const peer of await outbox.peersWithPending()) outbox.kick(peer)
      for (const record of messages.conversations()) {
        if (await cipher.heldCount(record.id) > 0) void inbound.drain(record.id).catch(() => undefined)
      }
    },
    stop: async () => {
      clearInterval(sweepTimer)
      history.stop()
      receipts.stop()
      retryHeld.stop()
      await delivery.stop()
      await groups.flush()
    }
  }

  /**
   * Makes the workspace's own channel (every active member in it) unless this device has it; its
   * id is `workspaceChannelId(ws)`. Only the owner's device (there is one): an admin whose device
   * was not added yet would otherwise start a second group under the same id.
   */
  const ensureWorkspaceChannel = async (ws: WorkspaceId): Promise<void> => {
    const id = workspaceChannelId(ws)
    const name = policy.workspaceName(ws)
    if (messages.conversation(id) !== undefined || name === null || !policy.isOwnerDevice(ws, self)) return
    const topic = `Everyone in ${name}`.slice(0, 200)
    await newChannel({ workspaceId: ws, name: 'general', topic, visibility: 'workspace', members: policy.activeDevices(ws).filter((d) => !policy.isGuestDevice(ws, d)) }, id)
  }

  /** Key packages for colleagues who want to start a DM while this device is away. */
  const depositKeyPackages = (mailbox: PeerIdString): void => {
    groupService.depositAt(mailbox).catch((err: unknown) => { log.debug('could not leave key packages at the mailbox', { peer: mailbox, error: errorMessage(err) }) })
  }

  /** A DM with messages waiting for its group, which `peer` (a device of the other person) can help set up. */
  const heldFor = (record: ConversationRecord, peer: PeerIdString): boolean =>
    record.kind === 'dm' && record.heldKeys.length > 0 && (record.peerUser === undefined || record.workspaceId === null ? record.peerId === peer : policy.personOf(record.workspaceId, peer) === record.peerUser)

  /** A peer is reachable and its membership settled: deliver, add, catch up. */
  const peerReady = (peer: PeerIdString): void => {
    outbox.kick(peer)
    if (components.mailboxes().includes(peer) && components.mailbox !== true) depositKeyPackages(peer)
    for (const record of messages.conversations()) {
      if (heldFor(record, peer)) retryHeld.tryHeld(record)
      if (record.status !== 'active') continue
      if (record.committer === self && record.pendingMembers.includes(peer)) {
        void groups.serial(record.id, () => commitAsCommitter(record, { add: [peer] })).catch((err: unknown) => { log.debug('add on connect failed', { peer, error: errorMessage(err) }) })
      }
      if (record.members.includes(peer)) {
        gaps.pull(peer, record)
      }
    }
  }

  bus.on('peer:ready', peerReady)
  // A DM sent before any route to its peer was known waits on a timer that doubles: the route
  // arriving (from the workspace's members) is the moment to try.
  bus.on('route:learned', (peer) => {
    for (const record of messages.conversations()) {
      if (heldFor(record, peer)) retryHeld.tryHeld(record)
    }
  })
  bus.on('mailbox:found', (peer) => {
    outbox.kick(peer)
    if (components.mailbox !== true) depositKeyPackages(peer)
  })
  bus.on('membership:changed', ({ ws }) => {
    if (member) void migration.run()
    membership.workspaceChanged(ws)
    for (const record of rules.staleViews()) announce(record).catch((err: unknown) => { log.warn('could not tell a conversation\'s new rules', { conv: record.id, error: errorMessage(err) }) })
    ensureWorkspaceChannel(ws).catch((err: unknown) => { log.warn('could not make the workspace channel', { ws, error: errorMessage(err) }) })
  })
  await protocols.handleMembers(CHAT_PROTOCOL, (stream, connection) => serveChatStream(inbound.receive, log.child('stream'), stream, connection), { maxInboundStreams: 64 })
  await protocols.handleMembers(GROUP_PROTOCOL, (stream, connection) => serveGroupStream(groupService.handlers, log.child('groups'), stream, connection), { maxInboundStreams: 32 })
  if (member) {
    // Old DMs with colleagues become DMs with them as people, before a sibling may ask for their history.
    await migration.run()
    await history.start()
    bus.on('conversation:changed', ({ id }) => { const record = messages.conversation(id); if (record !== undefined) migration.arrived(record) })
  }
  return service
}
