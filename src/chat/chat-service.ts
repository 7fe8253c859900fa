import { encode as cborEncode, decode as cborDecode } from 'cborg'
import { EnclaveError, errorMessage } from '../errors.js'
import { deviceOfCredential } from '../crypto/mls-credential.js'
import { commitChanges, createGroupState, decodeKeyPackage, decodeMls, encodeKeyPackage, encryptApplication, epochOf, isActive, joinFromWelcome, membersOf, processPrivate, welcomeTargets, type CommitOutput } from '../crypto/mls-group.js'
import { mlsClientConfig } from '../crypto/mls-suite.js'
import { createCipherLog, envelopeKey } from './cipher-log.js'
import { appPayload, MAX_TEXT_LENGTH, type AppPayload, type ChannelInfo, type Envelope } from './envelope.js'
import { createGroupKeys } from './group-keys.js'
import { askGroup, CATCHUP_PAGE, MAX_DEPOSIT, parseEnvelopes, type GroupHandlers } from './group-protocol.js'
import { createGroupStates } from './group-states.js'
import { dmConversationId, isConversationId, kindOfConversation, newChannelId, parseMessageId, parsePeerId } from './ids.js'
import { createMessageLog, toConversationView, toMessageView, type ConversationRecord, type HistoryQuery, type StoredMessage } from './message-log.js'
import { createOutbox, type Outbox, type OutboxEntry, type OutboxInit } from './outbox.js'
import type { ChannelSummary, ChannelVisibility, ConversationId, ConversationRef, ConversationView, Emit, MessageView, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Store, StoreBatch } from '../store/store.js'
import type { HybridClock } from './hybrid-clock.js'
import type { PrivateKey, Stream } from '@libp2p/interface'
import type { ClientState, KeyPackage } from 'ts-mls'

/** What the chat layer needs to know about workspaces (the org layer answers). */
export interface MembershipPolicy {
  isActiveDevice(ws: string, device: string): boolean
  isAdminDevice(ws: string, device: string): boolean
  /** Workspaces both this device and `device` are active in. */
  sharedWith(device: string): string[]
}

export interface ChatComponents {
  store: Store
  log: Logger
  clock: HybridClock
  emit: Emit
  self: PeerIdString
  deviceKey: PrivateKey
  policy: MembershipPolicy
  openStream(peer: PeerIdString, signal: AbortSignal): Promise<Stream>
  openGroupStream(peer: PeerIdString, signal: AbortSignal): Promise<Stream>
  /** Devices connected right now. */
  connectedPeers(): PeerIdString[]
  /** Devices known to hold mail for offline members. */
  mailboxes(): PeerIdString[]
  /** This node is a mailbox: it keeps deposits for their recipients, holding no key. */
  mailbox?: boolean
}

export interface ChatService {
  send(ref: ConversationRef, text: string): Promise<MessageView>
  history(ref: ConversationRef, query: HistoryQuery): Promise<MessageView[]>
  conversations(): Promise<ConversationView[]>
  /** The DM with a peer, created empty if needed. */
  open(peerId: string): Promise<ConversationView>
  retry(messageId: string): Promise<MessageView>
  markRead(conversationId: string): Promise<ConversationView>
  createChannel(input: { workspaceId: string; name: string; topic?: string; visibility?: ChannelVisibility; members?: string[] }): Promise<ConversationView>
  addMembers(conversationId: string, members: string[]): Promise<ConversationView>
  removeMember(conversationId: string, peerId: string): Promise<ConversationView>
  leave(conversationId: string): Promise<ConversationView>
  updateChannel(conversationId: string, change: { name?: string; topic?: string; archived?: boolean }): Promise<ConversationView>
  browse(workspaceId: string): Promise<ChannelSummary[]>
  join(conversationId: string): Promise<ConversationView>
  /** Stores what a peer sent (dropping duplicates), resolving once durable; processing follows. */
  receive(from: PeerIdString, envs: Envelope[], deposit?: string[]): Promise<void>
  readonly groupHandlers: GroupHandlers
  /** A peer is reachable (and its membership settled): deliver, add, catch up. */
  peerConnected(peer: PeerIdString): void
  /** A workspace's membership changed: committers remove devices that may no longer read. */
  membershipChanged(ws: string): void
  start(): Promise<void>
  stop(): Promise<void>
}

/** Envelopes a conversation may hold for later processing before new ones are dropped. */
const MAX_WAITING = 20_000
/** Most bytes of envelopes in one catch-up reply (the frame limit is 4 MiB). */
const CATCHUP_BYTES = 3 * 1024 * 1024

/**
 * Conversations as MLS groups. Every DM and channel is a group; every message leaves this
 * device only as MLS ciphertext inside an envelope, and arrives through the same path whether
 * it came from its author, a mailbox or a member helping another catch up.
 *
 * Committer policy (docs/protocol.md): in each epoch exactly one member may commit, the one
 * at the lowest leaf whose device is still an active workspace member and has not asked to
 * leave. Everybody computes the same committer from the same state, so concurrent commits
 * cannot fork a group; other members send requests (MLS application messages) to it.
 */
export async function createChatService(components: ChatComponents, outboxInit: OutboxInit = {}): Promise<ChatService> {
  const { store, clock, emit, self, log, policy } = components
  const messages = await createMessageLog(store)
  const cipher = createCipherLog(store)
  const keys = await createGroupKeys(store, components.deviceKey, self)
  const configFor = (groupId: string) => mlsClientConfig({ validateCredential: async (credential, key) => {
    const device = await deviceOfCredential(credential, key)
    return device !== null && mayBeIn(conversationOfGroup(groupId), device)
  } })
  const groups = await createGroupStates(store, configFor)
  const browsed = new Map<string, { via: PeerIdString; summary: ChannelSummary }>()

  // ---------- who may be where ----------

  function conversationOfGroup(groupId: string): ConversationId {
    return groupId.slice(0, groupId.indexOf('/')) as ConversationId
  }

  /** May `device` be in this conversation's group? DMs: the two devices; channels: active members of its workspace. */
  function mayBeIn(conv: ConversationId, device: string): boolean {
    if (device === self) return true
    const record = messages.conversation(conv)
    if (record !== undefined && record.workspaceId !== null) return policy.isActiveDevice(record.workspaceId, device)
    if (kindOfConversation(conv) === 'dm') return dmConversationId(self, device as PeerIdString) === conv
    // A channel whose settings have not arrived yet: anyone sharing a workspace with us.
    return policy.sharedWith(device).length > 0
  }

  const canManage = (record: ConversationRecord): boolean =>
    record.kind === 'channel' && (record.creator === self || (record.workspaceId !== null && policy.isAdminDevice(record.workspaceId, self)))

  /** The group this device sends in: for a DM both sides may have made one; the lower creator's wins. */
  const currentGroup = (record: ConversationRecord): { id: string; state: ClientState } | undefined => {
    const ids = record.kind === 'dm' ? [self, record.peerId ?? ''].sort().map((c) => `${record.id}/${c}`) : [`${record.id}/${record.creator ?? ''}`]
    for (const id of ids) {
      const state = groups.get(id)
      if (state !== undefined && isActive(state)) return { id, state }
    }
    return undefined
  }

  const committerLeaf = (record: ConversationRecord, state: ClientState): number | undefined =>
    membersOf(state).find((m) => mayBeIn(record.id, m.device) && !record.leaving.includes(m.device as PeerIdString))?.leaf

  const refreshMembers = (record: ConversationRecord, state: ClientState): void => {
    const members = membersOf(state)
    record.members = members.map((m) => m.device as PeerIdString)
    record.pendingMembers = record.pendingMembers.filter((d) => !record.members.includes(d))
    record.leaving = record.leaving.filter((d) => record.members.includes(d))
    record.requests = record.requests
      .map((r) => ({ ...r, devices: r.devices.filter((d) => (r.op === 'add') !== record.members.includes(d)) }))
      .filter((r) => r.devices.length > 0)
    const leaf = committerLeaf(record, state)
    record.committer = (members.find((m) => m.leaf === leaf)?.device ?? null) as PeerIdString | null
    if (!isActive(state) && record.status !== 'left') record.status = 'removed'
  }

  // ---------- views ----------

  const view = async (record: ConversationRecord): Promise<ConversationView> => {
    const last = record.lastKey === null ? undefined : (await messages.byKeys([record.lastKey]))[0]
    return toConversationView(record, last === undefined || record.lastKey === null ? null : toMessageView(last, record.lastKey), canManage(record))
  }
  const announce = async (record: ConversationRecord, last?: MessageView): Promise<ConversationView> => {
    const v = last === undefined ? await view(record) : toConversationView(record, last, canManage(record))
    emit('conversations.changed', v)
    return v
  }

  // ---------- outbox ----------

  const outbox: Outbox = createOutbox({
    store,
    log: log.child('outbox'),
    openStream: (peer, signal) => components.openStream(peer, signal),
    load: (envKeys) => cipher.get(envKeys),
    onAcked: (peer, entries) => { queueAcks(peer, entries, 'delivered'); return () => undefined },
    onExpired: (peer, entries) => { queueAcks(peer, entries, 'failed'); return () => undefined },
    onSent: () => undefined
  }, outboxInit)

  /**
   * This device's messages change state as recipients acknowledge: delivered once every member
   * has stored it. Updates run one after another, so two acks for one message never race.
   */
  let ackChain: Promise<unknown> = Promise.resolve()
  const pendingUpdates = new Map<string, StoredMessage>()
  function queueAcks(peer: PeerIdString, entries: OutboxEntry[], outcome: 'delivered' | 'failed'): void {
    const mine = entries.filter((e) => e.messageKey !== null && e.for === undefined)
    if (mine.length === 0) return
    ackChain = ackChain.then(async () => {
      const keysToLoad = mine.map((e) => e.messageKey ?? '').filter((k) => !pendingUpdates.has(k))
      const loaded = await messages.byKeys(keysToLoad)
      keysToLoad.forEach((k, i) => { const m = loaded[i]; if (m !== undefined) pendingUpdates.set(k, m) })
      const batch = store.batch()
      const views: MessageView[] = []
      for (const e of mine) {
        const key = e.messageKey ?? ''
        const msg = pendingUpdates.get(key)
        if (msg === undefined) continue
        if (outcome === 'failed') msg.state = 'failed'
        else {
          msg.awaiting = (msg.awaiting ?? []).filter((d) => d !== peer)
          if (msg.awaiting.length === 0 && msg.state === 'pending') msg.state = 'delivered'
        }
        messages.update(batch, key, msg)
        if (msg.state !== 'pending') pendingUpdates.delete(key)
        views.push(toMessageView(msg, key))
      }
      await batch.write()
      for (const v of views) emit('chat.messageUpdated', v)
    }).catch((err: unknown) => { log.warn('could not record acknowledgements', { error: errorMessage(err) }) })
  }

  /** Queues an envelope for these devices (and a copy for each mailbox that may hold it). */
  const enqueue = (batch: StoreBatch, record: ConversationRecord, env: Pick<Envelope, 'conv' | 'author' | 'seq'>, envKey: string, to: PeerIdString[], messageKey: string | null): PeerIdString[] => {
    const recipients = [...new Set(to)].filter((d) => d !== self)
    const base = { envKey, conv: env.conv, author: env.author, seq: env.seq, enqueuedAt: Date.now() }
    for (const peer of recipients) outbox.enqueue(batch, peer, { ...base, messageKey }, clock.now())
    for (const box of components.mailboxes()) {
      if (box === self || recipients.includes(box) || !mayBeIn(record.id, box) || recipients.length === 0) continue
      outbox.enqueue(batch, box, { ...base, messageKey: null, for: recipients }, clock.now())
      recipients.push(box)
    }
    return recipients
  }

  const kickAll = (peers: PeerIdString[]): void => { for (const p of peers) outbox.kick(p) }

  /** Encrypts one payload into the conversation's current group and queues it for every member. */
  const sealAndQueue = async (batch: StoreBatch, record: ConversationRecord, build: (seq: number, hlc: number) => AppPayload, messageKey?: (payload: AppPayload, env: Envelope) => string, held?: { seq: number; hlc: number }): Promise<{ env: Envelope; recipients: PeerIdString[] }> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    const seq = held?.seq ?? record.nextSeq++
    const payload = build(seq, held?.hlc ?? clock.now())
    const sealed = await encryptApplication(group.state, cborEncode(payload))
    groups.stage(batch, group.id, sealed.state)
    const env: Envelope = { v: 2, conv: record.id, author: self, seq, kind: 'app', epoch: epochOf(group.state), mls: sealed.message }
    const envKey = cipher.put(batch, env)
    markSeen(record, self, seq)
    const mk = messageKey?.(payload, env) ?? null
    const recipients = enqueue(batch, record, env, envKey, record.members, mk)
    messages.saveConversation(batch, record)
    return { env, recipients }
  }

  const markSeen = (record: ConversationRecord, author: string, seq: number): void => {
    if (seq === (record.seen[author] ?? 0) + 1) record.seen[author] = seq
  }

  // ---------- groups: create, commit ----------

  /** A device's key package: from the device itself, or else one it left at a mailbox. */
  const keyPackageOf = async (device: PeerIdString): Promise<KeyPackage> => {
    const fetchFrom = async (from: PeerIdString, timeoutMs: number): Promise<KeyPackage> => {
      const stream = await components.openGroupStream(from, AbortSignal.timeout(timeoutMs))
      const reply = await askGroup(stream, from === device ? { t: 'kp' } : { t: 'kp', for: device })
      const kp = decodeKeyPackage(reply.kp)
      // Whoever hands it over, the package must be signed for that device by that device.
      if (await deviceOfCredential(kp.leafNode.credential, kp.leafNode.signaturePublicKey) !== device) throw new EnclaveError('wrong-author', 'key package does not belong to the device it is for')
      return kp
    }
    try {
      return await fetchFrom(device, 10_000)
    } catch (err) {
      for (const box of components.mailboxes()) {
        if (box === device || box === self) continue
        try { return await fetchFrom(box, 5_000) } catch { /* the next mailbox may have one */ }
      }
      throw err
    }
  }

  /** Mailbox role: key packages other devices left here, a few per device, handed out once each. */
  const deposited = store.collection<string[]>('mlsDeposits')

  /** Commits adds and removes as this conversation's committer; sends commit, welcome and settings. */
  const commitAsCommitter = async (record: ConversationRecord, change: { add?: PeerIdString[]; remove?: PeerIdString[] }): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    if (committerLeaf(record, group.state) !== membersOf(group.state).find((m) => m.device === self)?.leaf) throw new EnclaveError('not-committer', 'another member commits changes to this conversation now')
    const current = membersOf(group.state)
    const adds: KeyPackage[] = []
    const added: PeerIdString[] = []
    const unreachable: PeerIdString[] = []
    for (const device of change.add ?? []) {
      if (current.some((m) => m.device === device) || added.includes(device)) continue
      if (!mayBeIn(record.id, device)) throw new EnclaveError('not-member', `${device} is not an active member of this workspace`)
      try {
        adds.push(await keyPackageOf(device))
        added.push(device)
      } catch (err) {
        log.debug('cannot add a device yet', { device, error: errorMessage(err) })
        unreachable.push(device)
      }
    }
    const removeLeaves = current.filter((m) => change.remove?.includes(m.device as PeerIdString) === true && m.device !== self).map((m) => m.leaf)
    record.pendingMembers = [...new Set([...record.pendingMembers, ...unreachable])]
    if (adds.length === 0 && removeLeaves.length === 0) {
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      return
    }
    const before = record.members
    const out: CommitOutput = await commitChanges(group.state, { add: adds, remove: removeLeaves })
    const batch = store.batch()
    groups.stage(batch, group.id, out.state)
    const removed = current.filter((m) => removeLeaves.includes(m.leaf)).map((m) => m.device as PeerIdString)
    const recipients: PeerIdString[] = []
    const commitEnv: Envelope = { v: 2, conv: record.id, author: self, seq: record.nextSeq++, kind: 'commit', epoch: epochOf(group.state), mls: out.commit }
    markSeen(record, self, commitEnv.seq)
    recipients.push(...enqueue(batch, record, commitEnv, cipher.put(batch, commitEnv), [...before, ...removed, ...added], null))
    if (out.welcome !== null) {
      const welcomeEnv: Envelope = { v: 2, conv: record.id, author: self, seq: record.nextSeq++, kind: 'welcome', epoch: epochOf(out.state), mls: out.welcome, to: added }
      markSeen(record, self, welcomeEnv.seq)
      recipients.push(...enqueue(batch, record, welcomeEnv, cipher.put(batch, welcomeEnv), [...before, ...added], null))
    }
    refreshMembers(record, out.state)
    if (record.kind === 'channel' && added.length > 0) {
      // Joiners learn the channel's name and settings from this, the first message of their epoch.
      const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'meta', conv: record.id, author: self, seq, hlc, channel: channelInfoOf(record) }))
      recipients.push(...sent.recipients)
    }
    messages.saveConversation(batch, record)
    await batch.write()
    kickAll(recipients)
    log.info('committed', { conv: record.id, epoch: epochOf(out.state), added: added.length, removed: removed.length })
    await announce(record)
  }

  const channelInfoOf = (record: ConversationRecord): ChannelInfo => ({
    name: record.name ?? '',
    topic: record.topic,
    visibility: record.visibility ?? 'private',
    archived: record.archived,
    ws: record.workspaceId ?? '',
    creator: record.creator ?? self
  })

  /**
   * Asks for a membership change. The committer carries out its own adds and removes at once;
   * everyone else (and a committer leaving, which MLS cannot commit for itself) sends a request
   * inside the group: durable in the outbox, authenticated by MLS, seen by every member.
   */
  const request = async (record: ConversationRecord, op: 'add' | 'remove' | 'leave', devices: PeerIdString[]): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    refreshMembers(record, group.state)
    if (record.committer === self && op !== 'leave') {
      await commitAsCommitter(record, op === 'add' ? { add: devices } : { remove: devices })
      return
    }
    const batch = store.batch()
    if (op === 'leave') record.leaving = [...new Set([...record.leaving, self])]
    if (op === 'add') record.pendingMembers = [...new Set([...record.pendingMembers, ...devices])]
    const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'request', conv: record.id, author: self, seq, hlc, op, devices }))
    await batch.write()
    kickAll(sent.recipients)
  }

  /** Every member notes a request; the committer acts on it if the rules allow. */
  const handleRequest = async (record: ConversationRecord, p: Extract<AppPayload, { type: 'request' }>): Promise<void> => {
    const author = p.author as PeerIdString
    const group = currentGroup(record)
    if (group === undefined) return
    if (p.op === 'leave') record.leaving = [...new Set([...record.leaving, author])]
    else record.requests = [...record.requests, { author, op: p.op, devices: p.devices as PeerIdString[] }]
    refreshMembers(record, group.state)
    const batch = store.batch()
    messages.saveConversation(batch, record)
    await batch.write()
    if (record.committer === self) await serveOpenWork(record)
  }

  /** Has the committer anything left to do: requests not carried out, members asking to leave? */
  const hasOpenWork = (record: ConversationRecord): boolean =>
    record.requests.length > 0 || record.leaving.some((d) => d !== self && record.members.includes(d))

  /**
   * The committer carries out what members asked for and is still undone: on receipt, and when
   * this device becomes committer with requests it noted before.
   */
  const serveOpenWork = async (record: ConversationRecord): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) return
    refreshMembers(record, group.state)
    if (record.committer !== self) return
    const add = new Set<PeerIdString>()
    const remove = new Set<PeerIdString>(record.leaving.filter((d) => d !== self && record.members.includes(d)))
    for (const r of record.requests) {
      if (r.op === 'add') { for (const d of r.devices) if (mayBeIn(record.id, d)) add.add(d); continue }
      const allowed = record.creator === r.author || (record.workspaceId !== null && policy.isAdminDevice(record.workspaceId, r.author))
      if (allowed) for (const d of r.devices) remove.add(d)
      else log.warn('refused a removal request', { conv: record.id, author: r.author, code: 'unauthorized' })
    }
    // Requests that cannot be carried out (refused, or for devices not in the workspace) are dropped.
    record.requests = []
    if (add.size === 0 && remove.size === 0) {
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      return
    }
    await commitAsCommitter(record, { add: [...add], remove: [...remove] })
  }

  // ---------- receiving ----------

  const storeMessage = (batch: StoreBatch, record: ConversationRecord, p: Extract<AppPayload, { type: 'text' }>): MessageView => {
    clock.observe(p.hlc)
    const msg: StoredMessage = { conv: record.id, author: p.author as PeerIdString, seq: p.seq, hlc: p.hlc, text: p.text, state: 'received', mine: false }
    const key = messages.append(batch, msg, { countUnread: true })
    return toMessageView(msg, key)
  }

  const applyMeta = (record: ConversationRecord, p: Extract<AppPayload, { type: 'meta' }>): void => {
    if (record.kind !== 'channel' || p.hlc <= record.metaHlc) return
    const c = p.channel
    const author = p.author as PeerIdString
    const manager = record.creator === null || record.creator === author || policy.isAdminDevice(c.ws, author)
    // Archiving and the channel's identity (workspace, creator) are the managers'; the rest anyone's.
    if (!manager && (c.archived !== record.archived || c.ws !== record.workspaceId || c.creator !== record.creator)) {
      log.warn('refused channel settings from a member who may not change them', { conv: record.id, author, code: 'unauthorized' })
      return
    }
    record.metaHlc = p.hlc
    record.name = c.name
    record.topic = c.topic
    record.visibility = c.visibility
    record.archived = c.archived
    record.workspaceId = c.ws
    record.creator = c.creator as PeerIdString
  }

  type Outcome = 'done' | 'wait'
  /** Tries one held envelope: applied (or dropped as useless/hostile) is `done`; `wait` keeps it. */
  const tryProcess = async (record: ConversationRecord, env: Envelope, batch: StoreBatch, added: MessageView[], followUps: Array<() => Promise<void>>): Promise<Outcome> => {
    const msg = decodeMls(env.mls)
    if (env.kind === 'welcome') {
      if (msg.wireformat !== 'mls_welcome') throw new EnclaveError('bad-frame', 'welcome envelope without an MLS welcome')
      if (env.to?.includes(self) !== true) return 'done'
      for (const ref of welcomeTargets(msg.welcome)) {
        const own = await keys.find(ref)
        if (own === undefined) continue
        const state = await joinFromWelcome(msg.welcome, own, configFor(`${record.id}/`))
        const groupId = new TextDecoder().decode(state.groupContext.groupId)
        if (conversationOfGroup(groupId) !== record.id) throw new EnclaveError('wrong-conversation', 'welcome is for another conversation')
        await keys.consume(ref)
        const existing = groups.get(groupId)
        if (existing !== undefined && isActive(existing)) return 'done'
        groups.stage(batch, groupId, state)
        // A channel's group id ends in its creator's PeerId; a DM's in the device that made it.
        if (record.kind === 'channel' && record.creator === null) record.creator = groupId.slice(groupId.indexOf('/') + 1) as PeerIdString
        record.status = 'active'
        refreshMembers(record, state)
        return 'done'
      }
      return 'done'
    }
    if (msg.wireformat !== 'mls_private_message') throw new EnclaveError('bad-frame', `${env.kind} envelope without an MLS private message`)
    const groupId = new TextDecoder().decode(msg.privateMessage.groupId)
    if (conversationOfGroup(groupId) !== record.id) throw new EnclaveError('wrong-conversation', 'MLS message belongs to another conversation')
    if (Number(msg.privateMessage.epoch) !== env.epoch) throw new EnclaveError('bad-frame', 'envelope epoch does not match its MLS message')
    const state = groups.get(groupId)
    if (state === undefined) return 'wait'
    const epoch = epochOf(state)
    if (env.kind === 'commit') {
      if (env.epoch < epoch) return 'done'
      if (env.epoch > epoch || !isActive(state)) return env.epoch > epoch ? 'wait' : 'done'
      const leaf = committerLeaf(record, state)
      const result = await processPrivate(state, msg, (l) => l === leaf)
      if (result.kind === 'refused') return 'wait'
      if (result.kind !== 'commit') throw new EnclaveError('bad-frame', 'commit envelope carried an application message')
      groups.stage(batch, groupId, result.state)
      refreshMembers(record, result.state)
      return 'done'
    }
    if (env.epoch > epoch) return 'wait'
    const result = await processPrivate(state, msg, () => false)
    if (result.kind !== 'application') throw new EnclaveError('bad-frame', 'application envelope carried a commit')
    groups.advance(groupId, result.state)
    let raw: unknown
    try { raw = cborDecode(result.plaintext) } catch (err) { throw new EnclaveError('bad-frame', 'MLS plaintext is not CBOR', { cause: err }) }
    const parsed = appPayload.safeParse(raw)
    if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed MLS plaintext')
    const p = parsed.data
    if (result.device !== env.author || p.author !== env.author) throw new EnclaveError('wrong-author', 'envelope author is not the MLS sender')
    if (p.conv !== env.conv || p.seq !== env.seq) throw new EnclaveError('wrong-conversation', 'envelope and MLS plaintext disagree')
    // The envelope was new (deduplicated by conversation, author and seq when stored), so its message is too.
    if (p.type === 'text') added.push(storeMessage(batch, record, p))
    else if (p.type === 'meta') applyMeta(record, p)
    else followUps.push(() => handleRequest(record, p))
    return 'done'
  }

  /** Processes a conversation's held envelopes until none makes progress. */
  const drainQueued = new Map<ConversationId, Promise<void>>()
  /** Processes a conversation's held envelopes until none makes progress; one write for all. */
  const drain = (conv: ConversationId): Promise<void> => {
    // A drain that has not started yet will see everything held by now: no need for another.
    const queued = drainQueued.get(conv)
    if (queued !== undefined) return queued
    const run = groups.serial(conv, async () => {
      drainQueued.delete(conv)
      const record = messages.conversation(conv)
      if (record === undefined) return
      const added: MessageView[] = []
      const followUps: Array<() => Promise<void>> = []
      const batch = store.batch()
      let pending = await cipher.held(conv)
      for (let progress = true; progress && pending.length > 0;) {
        progress = false
        const still: Envelope[] = []
        for (const env of pending) {
          let outcome: Outcome
          try {
            outcome = await tryProcess(record, env, batch, added, followUps)
          } catch (err) {
            // Forged, tampered, replayed or too old: dropped with a coded line; the rest goes on.
            log.warn('dropped an envelope', { conv, author: env.author, seq: env.seq, kind: env.kind, code: err instanceof EnclaveError ? err.code : 'undecryptable', error: errorMessage(err) })
            outcome = 'done'
          }
          if (outcome === 'wait') { still.push(env); continue }
          progress = true
          cipher.release(batch, env)
        }
        pending = still
      }
      record.waiting = pending.length
      messages.saveConversation(batch, record)
      await batch.write()
      for (const v of added) emit('chat.messageAdded', v)
      const newest = added.reduce<MessageView | undefined>((a, v) => (a === undefined || v.order > a.order ? v : a), undefined)
      await announce(record, newest !== undefined && `${record.id}!${newest.order}` === record.lastKey ? newest : undefined)
      for (const task of followUps) await task().catch((err: unknown) => { log.warn('could not act on a request', { conv, error: errorMessage(err) }) })
      if (followUps.length === 0 && record.committer === self && hasOpenWork(record)) await serveOpenWork(record).catch((err: unknown) => { log.warn('could not act on a request', { conv, error: errorMessage(err) }) })
    })
    drainQueued.set(conv, run)
    return run
  }

  /** A record for a conversation first heard of from an envelope, or undefined if it is not ours. */
  const recordFor = (conv: ConversationId, env: Envelope, batch: StoreBatch): ConversationRecord | undefined => {
    const known = messages.conversation(conv)
    if (known !== undefined) return known
    if (kindOfConversation(conv) === 'dm') {
      if (dmConversationId(self, env.author as PeerIdString) !== conv) return undefined
      return messages.ensure(conv, batch, () => ({ kind: 'dm', peerId: env.author as PeerIdString, workspaceId: policy.sharedWith(env.author)[0] ?? null, status: 'joining' }))
    }
    if (env.kind !== 'welcome' || env.to?.includes(self) !== true) return undefined
    return messages.ensure(conv, batch, () => ({ kind: 'channel', status: 'joining' }))
  }

  /**
   * The common case, in one write: a conversation with nothing held gets its new envelopes
   * stored and processed at once. Anything that cannot be processed yet is held, and then
   * everything after it is held too, so order within the conversation is kept.
   */
  const processNow = (record: ConversationRecord, envs: Envelope[]): Promise<void> => groups.serial(record.id, async () => {
    const batch = store.batch()
    const added: MessageView[] = []
    const followUps: Array<() => Promise<void>> = []
    let holding = record.waiting > 0
    for (const env of envs) {
      cipher.put(batch, env)
      markSeen(record, env.author, env.seq)
      let outcome: Outcome = 'wait'
      if (!holding) {
        try {
          outcome = await tryProcess(record, env, batch, added, followUps)
        } catch (err) {
          log.warn('dropped an envelope', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, code: err instanceof EnclaveError ? err.code : 'undecryptable', error: errorMessage(err) })
          outcome = 'done'
        }
      }
      if (outcome === 'wait') {
        if (record.waiting >= MAX_WAITING) {
          // A flood of envelopes nobody can open yet (a broken or hostile member): keep serving.
          log.warn('dropped an envelope', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, code: 'too-large', error: 'too many envelopes waiting for keys in this conversation' })
          continue
        }
        cipher.hold(batch, env)
        record.waiting += 1
        holding = true
      }
    }
    messages.saveConversation(batch, record)
    await batch.write()
    for (const v of added) emit('chat.messageAdded', v)
    const newest = added.reduce<MessageView | undefined>((a, v) => (a === undefined || v.order > a.order ? v : a), undefined)
    await announce(record, newest !== undefined && `${record.id}!${newest.order}` === record.lastKey ? newest : undefined)
    for (const task of followUps) await task().catch((err: unknown) => { log.warn('could not act on a request', { conv: record.id, error: errorMessage(err) }) })
    if (followUps.length === 0 && record.committer === self && hasOpenWork(record)) await serveOpenWork(record).catch((err: unknown) => { log.warn('could not act on a request', { conv: record.id, error: errorMessage(err) }) })
    // A commit or welcome applied here may unblock what was held before.
    if (record.waiting > 0) void drain(record.id).catch((err: unknown) => { log.warn('processing failed', { conv: record.id, error: errorMessage(err) }) })
  })

  const receive = async (from: PeerIdString, envs: Envelope[], deposit?: string[]): Promise<void> => {
    if (envs.length === 0) return
    // In-order delivery needs no read: the next seq after a gapless run cannot be stored yet,
    // and anything at or below it is. Only the rest is looked up.
    const known = (env: Envelope): boolean | undefined => {
      const seen = messages.conversation(env.conv as ConversationId)?.seen[env.author]
      if (seen === undefined || deposit !== undefined) return undefined
      return env.seq <= seen ? true : env.seq === seen + 1 ? false : undefined
    }
    const quick = envs.map(known)
    const unsure = envs.filter((_, i) => quick[i] === undefined)
    const looked = unsure.length === 0 ? [] : await cipher.has(unsure.map((e) => envelopeKey(e.conv, e.author, e.seq)))
    let next = 0
    const present = quick.map((q) => q ?? looked[next++] === true)
    const batch = store.batch()
    const byConversation = new Map<ConversationRecord, Envelope[]>()
    const toKick: PeerIdString[] = []
    const seenNow = new Set<string>()
    envs.forEach((env, i) => {
      const key = envelopeKey(env.conv, env.author, env.seq)
      if (present[i] === true || seenNow.has(key)) return
      seenNow.add(key)
      if (deposit !== undefined && components.mailbox === true) {
        // Held for others; this node has no key for it and never tries.
        log.debug('holding mail', { conv: env.conv, author: env.author, seq: env.seq, for: deposit.length })
        const envKey = cipher.put(batch, env)
        for (const peer of deposit as PeerIdString[]) {
          if (peer === from || peer === self) continue
          outbox.enqueue(batch, peer, { envKey, conv: env.conv, author: env.author, seq: env.seq, messageKey: null, enqueuedAt: Date.now() }, clock.now())
          toKick.push(peer)
        }
        return
      }
      if (!isConversationId(env.conv)) return
      const record = recordFor(env.conv, env, batch)
      if (record === undefined) return
      byConversation.set(record, [...byConversation.get(record) ?? [], env])
    })
    if (batch.length > 0) await batch.write()
    kickAll([...new Set(toKick)])
    await Promise.all([...byConversation].map(([record, list]) => processNow(record, list)))
  }

  // ---------- catch-up, joins, browse ----------

  const catchUp = async (peer: PeerIdString, record: ConversationRecord): Promise<void> => {
    for (let more = true; more;) {
      const stream = await components.openGroupStream(peer, AbortSignal.timeout(30_000))
      const reply = await askGroup(stream, { t: 'catchup', conv: record.id, have: record.seen })
      const envs = parseEnvelopes(reply.envs).filter((e) => e.conv === record.id)
      await receive(peer, envs)
      // Only go on while the peer makes progress, whatever it claims.
      more = reply.more && envs.length > 0
    }
  }

  const groupHandlers: GroupHandlers = {
    keyPackage: async (_from, device) => {
      if (device === undefined || device === self) return encodeKeyPackage((await keys.issue()).publicPackage)
      if (components.mailbox !== true) throw new EnclaveError('not-found', 'this device keeps no key packages for others')
      const list = await deposited.get(device) ?? []
      const kp = list.shift()
      if (kp === undefined) throw new EnclaveError('not-found', 'no key package left here for that device')
      await deposited.put(device, list)
      return new Uint8Array(Buffer.from(kp, 'base64'))
    },
    deposit: async (from, kps) => {
      if (components.mailbox !== true) throw new EnclaveError('bad-request', 'this device is not a mailbox')
      for (const kp of kps) {
        const parsed = decodeKeyPackage(kp)
        if (await deviceOfCredential(parsed.leafNode.credential, parsed.leafNode.signaturePublicKey) !== from) throw new EnclaveError('wrong-author', 'a device may only deposit its own key packages')
      }
      const list = [...await deposited.get(from) ?? [], ...kps.map((k) => Buffer.from(k).toString('base64'))]
      await deposited.put(from, list.slice(-MAX_DEPOSIT))
      log.debug('kept key packages', { device: from, count: Math.min(list.length, MAX_DEPOSIT) })
    },
    join: async (from, conv) => {
      const record = messages.conversation(conv as ConversationId)
      if (record === undefined || record.kind !== 'channel' || record.visibility !== 'open' || record.archived) throw new EnclaveError('not-found', 'no open channel with that id here')
      if (record.workspaceId === null || !policy.isActiveDevice(record.workspaceId, from)) throw new EnclaveError('not-member', 'only workspace members may join')
      await groups.serial(record.id, () => request(record, 'add', [from]))
    },
    catchup: async (from, conv, have) => {
      const record = messages.conversation(conv as ConversationId)
      if (record === undefined || !(record.members.includes(from) || record.pendingMembers.includes(from))) throw new EnclaveError('not-member', 'not a member of that conversation')
      const envs = await cipher.missing(conv, have, CATCHUP_PAGE)
      let bytes = 0
      const page: Envelope[] = []
      for (const env of envs) {
        bytes += env.mls.byteLength + 200
        if (bytes > CATCHUP_BYTES && page.length > 0) break
        page.push(env)
      }
      return { envs: page, more: page.length < envs.length || envs.length === CATCHUP_PAGE }
    },
    browse: (from, ws) => {
      if (!policy.isActiveDevice(ws, from)) throw new EnclaveError('not-member', 'not a member of that workspace')
      return messages.conversations()
        .filter((r) => r.kind === 'channel' && r.visibility === 'open' && !r.archived && r.workspaceId === ws && r.status === 'active')
        .map((r) => ({ id: r.id, workspaceId: ws, name: r.name ?? '', topic: r.topic, memberCount: r.members.length }))
    }
  }

  // ---------- API ----------

  const resolve = (ref: ConversationRef): ConversationRecord => {
    if ('peerId' in ref) {
      const peer = parsePeerId(ref.peerId)
      if (peer === self) throw new EnclaveError('bad-request', 'cannot start a conversation with this device itself')
      const id = dmConversationId(self, peer)
      const batch = store.batch()
      const record = messages.ensure(id, batch, () => ({ kind: 'dm', peerId: peer, workspaceId: policy.sharedWith(peer)[0] ?? null }))
      if (batch.length > 0) void batch.write()
      return record
    }
    if (!isConversationId(ref.conversationId)) throw new EnclaveError('bad-request', `not a conversation id: ${ref.conversationId.slice(0, 80)}`)
    const record = messages.conversation(ref.conversationId)
    if (record === undefined) throw new EnclaveError('not-found', `no conversation ${ref.conversationId}`)
    return record
  }

  /** A DM's group, made now if neither side made one yet (needs the peer reachable once). */
  const ensureDmGroup = async (record: ConversationRecord): Promise<void> => {
    if (currentGroup(record) !== undefined || record.peerId === null) return
    const peer = record.peerId
    const kp = await keyPackageOf(peer)
    const own = await keys.issue()
    const groupId = `${record.id}/${self}`
    const state = await createGroupState(groupId, own, configFor(groupId))
    await keys.consume(own.ref)
    const out = await commitChanges(state, { add: [kp] })
    const batch = store.batch()
    groups.stage(batch, groupId, out.state)
    if (out.welcome === null) throw new EnclaveError('internal', 'adding a member made no welcome')
    const welcomeEnv: Envelope = { v: 2, conv: record.id, author: self, seq: record.nextSeq++, kind: 'welcome', epoch: epochOf(out.state), mls: out.welcome, to: [peer] }
    markSeen(record, self, welcomeEnv.seq)
    enqueue(batch, record, welcomeEnv, cipher.put(batch, welcomeEnv), [peer], null)
    record.status = 'active'
    refreshMembers(record, out.state)
    messages.saveConversation(batch, record)
    await batch.write()
    outbox.kick(peer)
  }

  /** Encrypts and queues this device's held (not yet encrypted) messages once a group exists. */
  /**
   * Sends go out in groups: every message asked for while the previous write was on disk is
   * encrypted and written in one batch (group state, ciphertext, message and outbox entries
   * together), which is what lets a busy conversation go faster than one write per message.
   */
  const sendQueues = new Map<ConversationId, Array<{ text: string; done: (v: MessageView) => void; fail: (e: unknown) => void }>>()
  const queueText = (record: ConversationRecord, text: string): Promise<MessageView> => new Promise((done, fail) => {
    const queue = sendQueues.get(record.id)
    if (queue !== undefined) { queue.push({ text, done, fail }); return }
    sendQueues.set(record.id, [{ text, done, fail }])
    void groups.serial(record.id, () => flushTexts(record))
  })

  const flushTexts = async (record: ConversationRecord): Promise<void> => {
    const queue = sendQueues.get(record.id) ?? []
    sendQueues.delete(record.id)
    const batch = store.batch()
    const stored: Array<{ key: string; msg: StoredMessage }> = []
    const recipients = new Set<PeerIdString>()
    try {
      for (const { text } of queue) {
        const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'text', conv: record.id, author: self, seq, hlc, text }), (p) => {
          const msg: StoredMessage = { conv: record.id, author: self, seq: p.seq, hlc: p.hlc, text, state: 'pending', mine: true, awaiting: record.members.filter((m) => m !== self) }
          if (msg.awaiting?.length === 0) msg.state = 'delivered'
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
    const views = stored.map(({ key, msg }) => {
      if (msg.state === 'pending') pendingUpdates.set(key, msg)
      const v = toMessageView(msg, key)
      emit('chat.messageAdded', v)
      return v
    })
    const last = views.at(-1)
    await announce(record, last !== undefined && record.lastKey === `${record.id}!${last.order}` ? last : undefined)
    queue.forEach((q, i) => { const v = views[i]; if (v !== undefined) q.done(v) })
  }

  /**
   * A DM's first messages while its peer has never been reachable: stored (pending) with their
   * place in the author's sequence, encrypted and queued the moment the peer is met.
   */
  const holdText = async (record: ConversationRecord, text: string): Promise<MessageView> => {
    const batch = store.batch()
    const msg: StoredMessage = { conv: record.id, author: self, seq: record.nextSeq++, hlc: clock.now(), text, state: 'pending', mine: true, awaiting: record.peerId === null ? [] : [record.peerId] }
    const key = messages.append(batch, msg, { countUnread: false })
    record.heldKeys = [...record.heldKeys, key]
    messages.saveConversation(batch, record)
    await batch.write()
    pendingUpdates.set(key, msg)
    const v = toMessageView(msg, key)
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
      const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'text', conv: record.id, author: self, seq, hlc, text: msg.text }), () => key, { seq: msg.seq, hlc: msg.hlc })
      for (const r of sent.recipients) recipients.add(r)
    }
    record.heldKeys = []
    messages.saveConversation(batch, record)
    await batch.write()
    kickAll([...recipients])
  })

  const requireActive = (record: ConversationRecord): void => {
    if (record.status === 'removed') throw new EnclaveError('not-member', 'this device was removed from the conversation')
    if (record.status === 'left') throw new EnclaveError('not-member', 'this device left the conversation')
    if (record.archived) throw new EnclaveError('bad-request', 'the channel is archived')
  }

  const channel = (conversationId: string): ConversationRecord => {
    const record = resolve({ conversationId })
    if (record.kind !== 'channel') throw new EnclaveError('bad-request', 'not a channel')
    return record
  }

  const devicesOf = (list: string[]): PeerIdString[] => list.map(parsePeerId)

  const service: ChatService = {
    send: async (ref, text) => {
      if (text.trim().length === 0) throw new EnclaveError('bad-request', 'message text is empty')
      if (text.length > MAX_TEXT_LENGTH) throw new EnclaveError('too-large', `message text longer than ${MAX_TEXT_LENGTH} characters`)
      const record = resolve(ref)
      requireActive(record)
      // The queued send resolves after this task: it is handed out, not awaited, inside it.
      const next = await groups.serial(record.id, async () => {
        if (record.kind === 'dm' && record.heldKeys.length === 0) {
          try {
            await ensureDmGroup(record)
          } catch (err) {
            log.debug('DM group not set up yet; holding the message', { peer: record.peerId, error: errorMessage(err) })
          }
        }
        if (record.kind === 'dm' && (currentGroup(record) === undefined || record.heldKeys.length > 0)) return { queued: Promise.resolve(await holdText(record, text)) }
        return { queued: queueText(record, text) }
      })
      return next.queued
    },

    history: async (ref, query) => {
      const record = resolve(ref)
      const page = await messages.history(record.id, query)
      return page.map(({ key, msg }) => toMessageView(msg, key))
    },

    conversations: async () => {
      const records = messages.conversations().sort((a, b) => (b.lastKey ?? '').localeCompare(a.lastKey ?? ''))
      const lasts = await messages.byKeys(records.map((r) => r.lastKey ?? ''))
      return records.map((r, i) => {
        const last = lasts[i]
        return toConversationView(r, last === undefined || r.lastKey === null ? null : toMessageView(last, r.lastKey), canManage(r))
      })
    },

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
      const batch = store.batch()
      messages.update(batch, found.key, msg)
      // The same ciphertext goes again; recipients that have it drop the copy.
      const envKey = envelopeKey(conv, author, seq)
      const recipients = enqueue(batch, record, { conv, author, seq }, envKey, msg.awaiting ?? record.members, found.key)
      await batch.write()
      pendingUpdates.set(found.key, msg)
      kickAll(recipients)
      const v = toMessageView(msg, found.key)
      emit('chat.messageUpdated', v)
      return v
    },

    markRead: async (conversationId) => {
      const record = resolve({ conversationId })
      const batch = store.batch()
      messages.markRead(batch, record.id)
      await batch.write()
      return announce(record)
    },

    createChannel: async (input) => {
      if (!policy.isActiveDevice(input.workspaceId, self)) throw new EnclaveError('not-member', 'this device is not an active member of that workspace')
      const id = newChannelId()
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
      const members = devicesOf(input.members ?? []).filter((d) => d !== self)
      if (members.length > 0) await groups.serial(id, () => commitAsCommitter(record, { add: members }))
      return announce(record)
    },

    addMembers: async (conversationId, members) => {
      const record = channel(conversationId)
      requireActive(record)
      const devices = devicesOf(members)
      for (const d of devices) if (!mayBeIn(record.id, d)) throw new EnclaveError('not-member', `${d} is not an active member of this workspace`)
      await groups.serial(record.id, () => request(record, 'add', devices))
      return announce(record)
    },

    removeMember: async (conversationId, peerId) => {
      const record = channel(conversationId)
      requireActive(record)
      const device = parsePeerId(peerId)
      if (device === self) return service.leave(conversationId)
      if (!canManage(record)) throw new EnclaveError('unauthorized', 'only the channel\'s creator or a workspace admin can remove members')
      await groups.serial(record.id, () => request(record, 'remove', [device]))
      return announce(record)
    },

    leave: async (conversationId) => {
      const record = channel(conversationId)
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
      const peers = [...new Set([...components.connectedPeers(), ...messages.conversations().flatMap((r) => r.members)])]
      const found = new Map<string, ChannelSummary>()
      await Promise.all(peers.filter((p) => p !== self && policy.isActiveDevice(workspaceId, p)).map(async (peer) => {
        try {
          const stream = await components.openGroupStream(peer, AbortSignal.timeout(3_000))
          const reply = await askGroup(stream, { t: 'browse', ws: workspaceId })
          for (const c of reply.channels) {
            const summary = { ...c, id: c.id as ConversationId }
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

    join: async (conversationId) => {
      if (!isConversationId(conversationId)) throw new EnclaveError('bad-request', 'not a conversation id')
      const known = messages.conversation(conversationId)
      if (known?.status === 'active') return announce(known)
      const hint = browsed.get(conversationId)
      if (hint === undefined) throw new EnclaveError('not-found', 'browse the workspace\'s channels first')
      const stream = await components.openGroupStream(hint.via, AbortSignal.timeout(10_000))
      await askGroup(stream, { t: 'join', conv: conversationId })
      const batch = store.batch()
      const record = messages.ensure(conversationId, batch, () => ({ kind: 'channel', workspaceId: hint.summary.workspaceId, name: hint.summary.name, topic: hint.summary.topic, visibility: 'open', status: 'joining' }))
      if (record.status !== 'active') record.status = 'joining'
      messages.saveConversation(batch, record)
      await batch.write()
      return announce(record)
    },

    receive,
    groupHandlers,

    peerConnected: (peer) => {
      outbox.kick(peer)
      if (components.mailboxes().includes(peer) && components.mailbox !== true) {
        // Key packages for colleagues who want to start a DM while this device is away.
        void (async () => {
          const kps = await Promise.all(Array.from({ length: 3 }, async () => encodeKeyPackage((await keys.issue()).publicPackage)))
          await askGroup(await components.openGroupStream(peer, AbortSignal.timeout(10_000)), { t: 'deposit', kps })
        })().catch((err: unknown) => { log.debug('could not leave key packages at the mailbox', { peer, error: errorMessage(err) }) })
      }
      for (const record of messages.conversations()) {
        if (record.kind === 'dm' && record.peerId === peer && record.heldKeys.length > 0) {
          flushHeld(record).catch((err: unknown) => { log.debug('held messages wait longer', { peer, error: errorMessage(err) }) })
        }
        if (record.status !== 'active') continue
        if (record.committer === self && record.pendingMembers.includes(peer)) {
          void groups.serial(record.id, () => commitAsCommitter(record, { add: [peer] })).catch((err: unknown) => { log.debug('add on connect failed', { peer, error: errorMessage(err) }) })
        }
        if (record.members.includes(peer)) {
          catchUp(peer, record).catch((err: unknown) => { log.debug('catch-up failed', { peer, conv: record.id, error: errorMessage(err) }) })
        }
      }
    },

    membershipChanged: (ws) => {
      for (const record of messages.conversations()) {
        if (record.workspaceId !== ws || record.status !== 'active') continue
        const group = currentGroup(record)
        if (group === undefined) continue
        void groups.serial(record.id, async () => {
          refreshMembers(record, group.state)
          if (record.committer !== self) return
          const gone = record.members.filter((d) => !mayBeIn(record.id, d))
          if (gone.length > 0) await commitAsCommitter(record, { remove: gone })
          // The previous committer may have left the workspace with requests still open.
          if (hasOpenWork(record)) await serveOpenWork(record)
        }).catch((err: unknown) => { log.warn('could not remove departed members', { conv: record.id, error: errorMessage(err) }) })
      }
    },

    start: async () => {
      for (const peer of await outbox.peersWithPending()) outbox.kick(peer)
      for (const record of messages.conversations()) {
        if (await cipher.heldCount(record.id) > 0) void drain(record.id).catch(() => undefined)
      }
    },

    stop: async () => {
      await outbox.stop()
      await groups.flush()
    }
  }
  return service
}
