import { decode as cborDecode } from 'cborg'
import { EnclaveError, errorMessage } from '../errors.js'
import { decodeMls, epochOf, isActive, joinFromWelcome, membersOf, processPrivate, welcomeTargets } from '../crypto/mls-group.js'
import { envelopeKey } from './cipher-log.js'
import { conversationOfGroup } from './conversation-rules.js'
import { appPayload, type Envelope } from './envelope.js'
import { envelopeSigned } from './envelope-signature.js'
import { isConversationId, parseDeviceText } from '../ids.js'
import { dmConversationId, kindOfConversation } from './ids.js'
import { isNewest, toMessageView, type ConversationRecord } from './message-log.js'
import type { ConversationId, MessageView, PeerIdString } from '../api/contract.js'
import { receivedMessage, type MessagePayload } from './received-message.js'
import type { StoreBatch } from '../store/store.js'
import type { ChatContext } from './chat-context.js'
import type { Delivery } from './delivery.js'
import type { GapWatch } from './gap-watch.js'
import type { Membership } from './membership.js'
import { plausibleTarget, type MessageActions } from './message-actions.js'
import type { ReadReceipts } from './read-receipts.js'

/** Envelopes arriving from anyone (author, mailbox, a member helping with catch-up) and what they do. */
export interface Inbound {
  /**
   * Checks each envelope's author signature, stores the signed ones (dropping duplicates) and
   * processes what can be; resolves once durable with the envelopes to acknowledge. Nothing
   * unsigned, refused or over quota is stored, counted or acknowledged: its sender tries again.
   */
  receive: (from: PeerIdString, envs: Envelope[], deposit?: PeerIdString[]) => Promise<Envelope[]>
  /** Processes a conversation's held envelopes until none makes progress. */
  drain: (conv: ConversationId) => Promise<void>
}

/**
 * Signed envelopes of one author in one conversation that MLS refused (tampered inside, too old,
 * replayed, garbage) and that are still stored: kept so far because the author signed them (its
 * envelope at that number is this one, broken or not), at most this many and this many MLS bytes.
 * Only the author can fill its own quota (no one else can sign in its name), and the quota is
 * asked only once MLS refused an envelope, so it never holds back the author's valid messages.
 * Beyond it a broken envelope is `over-quota`: not stored, not marked seen, not acknowledged (its
 * sender may offer it again and meets the same answer); the author's mark stays below it, so
 * later valid messages are still processed and shown, stored beyond that gap.
 */
export const MAX_BROKEN_PER_AUTHOR = 64
/** Messages mentioning this device kept per conversation for `chat.mentions`. */
const MAX_MENTION_KEYS = 50
export const MAX_BROKEN_BYTES_PER_AUTHOR = 2 * 1024 * 1024

export function createInbound(ctx: ChatContext, delivery: Delivery, membership: Membership, gaps: Pick<GapWatch, 'stored'>, actions: Pick<MessageActions, 'receive' | 'arrived' | 'decorate' | 'changed'>, receipts: Pick<ReadReceipts, 'receive'>): Inbound {
  const { store, clock, emit, self, log, policy, messages, cipher, keys, groups, components, configFor, announce } = ctx
  const { committerLeaf, refreshMembers, applyMeta, mayBeIn, personDm } = ctx.rules
  const { outbox, kickAll, markSeen, passStored } = delivery
  const { handleRequest, hasOpenWork, serveOpenWork } = membership

  const storeMessage = async (batch: StoreBatch, record: ConversationRecord, p: MessagePayload): Promise<MessageView> => {
    clock.observe(p.hlc)
    const msg = receivedMessage(record, p, (device) => ctx.rules.manages(record, device))
    // Sent from another device of this person: read already.
    const key = messages.append(batch, msg, { countUnread: !ctx.rules.samePerson(record, msg.author, self) })
    await actions.arrived(batch, msg)
    if (msg.all === true || msg.mentions?.includes(self) === true) {
      record.mentionsUnread = (record.mentionsUnread ?? 0) + 1
      record.mentionKeys = [...(record.mentionKeys ?? []), key].slice(-MAX_MENTION_KEYS)
    }
    return toMessageView(msg, key)
  }

  type Outcome = 'done' | 'wait' | 'dropped' | 'before-join'
  /**
   * Tries one envelope: applied (or of no use here) is `done`; `wait` keeps it for later;
   * `before-join` was written before this device joined the channel (never stored: see `skipTo`).
   */
  const tryProcess = async (record: ConversationRecord, env: Envelope, { batch, added, followUps, tells }: Pick<Pass, 'batch' | 'added' | 'followUps' | 'tells'>): Promise<Outcome> => {
    // A person DM's groups each have their epochs: there, what came before is told per group, below.
    if (record.joinedEpochs === undefined && record.joinedEpoch !== undefined && env.epoch < record.joinedEpoch) return 'before-join'
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
        // A DM's devices send in its lowest group id: one must be named for a device of the DM, its
        // creator (at leaf 0, unless that device was removed since), not made up to sort first.
        const creator = parseDeviceText(groupId.slice(groupId.indexOf('/') + 1))
        const first = membersOf(state).find((m) => m.leaf === 0)
        if (record.kind === 'dm' && (!mayBeIn(record.id, creator) || (first !== undefined && first.device !== creator))) throw new EnclaveError('wrong-conversation', 'a DM\'s group not named for the device that made it')
        await keys.consume(ref)
        const existing = groups.get(groupId)
        if (existing !== undefined && isActive(existing)) return 'done'
        groups.stage(batch, groupId, state)
        // A channel's group id ends in its creator's PeerId; a DM's in the device that made it.
        if (record.kind === 'channel' && record.creator === null) record.creator = creator
        if (record.kind === 'channel') record.joinedEpoch = epochOf(state)
        // A person DM may have a group per device that started one, each with its own epochs.
        if (record.peerUser !== undefined) record.joinedEpochs = { ...record.joinedEpochs, [groupId]: epochOf(state) }
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
    const joined = record.joinedEpochs?.[groupId]
    if (joined !== undefined && env.epoch < joined) return 'before-join'
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
    const result = await processPrivate(state, msg, () => false, env.author)
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
    if (p.type === 'text' || p.type === 'file') {
      const view = await storeMessage(batch, record, p)
      added.push(view)
      // A root far ahead may still be here: a message moved from an old DM (dm-migration.ts).
      const root = p.type === 'text' && p.thread !== undefined && (plausibleTarget(record, p.thread) || await messages.find(record.id, p.thread.author, p.thread.seq) !== undefined) ? p.thread : undefined
      if (root !== undefined) {
        // Counted into its thread (whose first message may come later); the root's view follows.
        await ctx.annotations.noteReply(batch, record.id, root, { by: p.author, hlc: p.hlc, key: `${record.id}!${view.order}` })
        tells.push(() => actions.changed(record, root))
      }
    }
    else if (p.type === 'meta') applyMeta(record, p)
    else if (p.type === 'read') {
      const tell = receipts.receive(record, p)
      if (tell !== undefined) tells.push(tell)
    } else if (p.type === 'react' || p.type === 'edit' || p.type === 'recall' || p.type === 'pin') {
      const tell = await actions.receive(batch, record, p)
      if (tell !== undefined) tells.push(tell)
    }
    else if (p.type === 'doc') followUps.push(() => components.bus.dispatch('doc:edit', { conv: record.id, from: p.author, doc: p.doc, update: p.update }))
    else followUps.push(() => handleRequest(record, p))
    return 'done'
  }

  /**
   * What one pass over a conversation's envelopes produced, for after its write: `moved`, authors
   * whose gapless mark advanced; `holes`, envelopes stored beyond a gap, and who handed them over.
   */
  interface Pass { batch: StoreBatch; added: MessageView[]; followUps: Array<() => Promise<void>>; tells: Array<() => Promise<void>>; moved: Set<string>; holes: Array<{ author: string; seq: number; from: PeerIdString }>; beforeJoin: number }
  const newPass = (): Pass => ({ batch: store.batch(), added: [], followUps: [], tells: [], moved: new Set(), holes: [], beforeJoin: 0 })

  /**
   * An envelope from before this device joined: its author's mark moves to it at once, over every
   * earlier number (an author's epochs never go down as its numbers go up, so those are from
   * before too). Nothing is stored, decrypted or counted as broken: a newcomer to a long channel
   * used to fetch its whole history, fail to open each envelope and count it against its author.
   */
  const skipTo = (record: ConversationRecord, env: Envelope, pass: Pass): void => {
    pass.beforeJoin++
    if (env.seq <= (record.seen[env.author] ?? 0)) return
    record.seen[env.author] = env.seq
    pass.moved.add(env.author)
  }

  /**
   * `tryProcess`, where an envelope MLS refuses (tampered inside, replayed, too old) is `dropped`
   * with a coded line and the rest goes on. Its author signed it, so it keeps its place (the
   * author's envelope at that number is this one, broken or not) within the author's quota of
   * broken envelopes (MAX_BROKEN_PER_AUTHOR).
   */
  const attempt = async (record: ConversationRecord, env: Envelope, pass: Pass): Promise<Outcome> => {
    try {
      return await tryProcess(record, env, pass)
    } catch (err) {
      log.warn('dropped an envelope', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, code: err instanceof EnclaveError ? err.code : 'undecryptable', error: errorMessage(err) })
      return 'dropped'
    }
  }

  /** Counts a broken envelope against its author's quota; false (nothing counted) when it does not fit. `force`: it is stored already. */
  const countBroken = (record: ConversationRecord, env: Envelope, force = false): boolean => {
    const broken = record.broken ?? {}
    const mine = broken[env.author] ?? { n: 0, bytes: 0 }
    if (!force && (mine.n >= MAX_BROKEN_PER_AUTHOR || mine.bytes + env.mls.byteLength > MAX_BROKEN_BYTES_PER_AUTHOR)) return false
    broken[env.author] = { n: mine.n + 1, bytes: mine.bytes + env.mls.byteLength }
    record.broken = broken
    return true
  }

  /** Writes a pass, tells the shells, and lets the committer act on what it asked for. */
  const finish = async (record: ConversationRecord, pass: Pass): Promise<void> => {
    if (pass.beforeJoin > 0) log.debug('skipped envelopes from before this device joined', { conv: record.id, n: pass.beforeJoin, joinedEpoch: record.joinedEpoch })
    messages.saveConversation(pass.batch, record)
    await pass.batch.write()
    gaps.stored(record, pass.moved, pass.holes)
    // An edit, reaction or recall may have come before its message: shown with it.
    pass.added = await actions.decorate(pass.added)
    for (const v of pass.added) {
      emit('chat.messageAdded', v)
      if (v.file !== undefined) components.bus.emit('file:shared', { messageId: v.id, conv: v.conversationId, author: v.author, size: v.file.size })
    }
    const newest = pass.added.reduce<MessageView | undefined>((a, v) => (a === undefined || v.order > a.order ? v : a), undefined)
    await announce(record, newest !== undefined && isNewest(record, newest) ? newest : undefined)
    const failed = (err: unknown): void => { log.warn('could not act on a request', { conv: record.id, error: errorMessage(err) }) }
    for (const tell of pass.tells) await tell().catch((err: unknown) => { log.warn('could not show a message action', { conv: record.id, error: errorMessage(err) }) })
    for (const task of pass.followUps) await task().catch(failed)
    if (pass.followUps.length === 0 && record.committer === self && hasOpenWork(record)) await serveOpenWork(record).catch(failed)
  }

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
      const pass = newPass()
      let pending = await cipher.held(conv)
      for (let progress = true; progress && pending.length > 0;) {
        progress = false
        const still: Envelope[] = []
        for (const env of pending) {
          // A device removed meanwhile: what it wrote and nobody could open yet stays unopened.
          if (!mayBeIn(record.id, env.author)) { cipher.release(pass.batch, env); continue }
          const outcome = await attempt(record, env, pass)
          if (outcome === 'wait') { still.push(env); continue }
          // Held, so stored and acknowledged already: counted, not refused.
          if (outcome === 'dropped') countBroken(record, env, true)
          if (outcome === 'before-join') skipTo(record, env, pass)
          progress = true
          cipher.release(pass.batch, env)
        }
        pending = still
      }
      for (const author of pass.moved) await passStored(record, author)
      record.waiting = pending.length
      await finish(record, pass)
    })
    drainQueued.set(conv, run)
    return run
  }

  /** A record for a conversation first heard of from an envelope, or undefined if it is not ours. */
  const recordFor = (conv: ConversationId, env: Envelope, batch: StoreBatch): ConversationRecord | undefined => {
    const known = messages.conversation(conv)
    if (known !== undefined) return known
    if (kindOfConversation(conv) === 'dm') {
      const dm = personDm(conv)
      // A person DM: from the other person, or from this person's other device adding this one.
      if (dm !== undefined) {
        if (!mayBeIn(conv, env.author)) return undefined
        const peerId = policy.personOf(dm.ws, env.author) === dm.person ? env.author : policy.devicesOfPerson(dm.ws, dm.person)[0] ?? null
        return messages.ensure(conv, batch, () => ({ kind: 'dm', peerId, workspaceId: dm.ws, peerUser: dm.person, status: 'joining' }))
      }
      if (dmConversationId(self, env.author) !== conv) return undefined
      return messages.ensure(conv, batch, () => ({ kind: 'dm', peerId: env.author, workspaceId: policy.sharedWith(env.author)[0] ?? null, status: 'joining' }))
    }
    if (env.kind !== 'welcome' || env.to?.includes(self) !== true) return undefined
    return messages.ensure(conv, batch, () => ({ kind: 'channel', status: 'joining' }))
  }

  /**
   * Stores a conversation's new signed envelopes and processes each at once when it can, in one
   * write. One that cannot be processed yet (its epoch's commit or its welcome is on the way) is
   * held against its author's quota and waits on its own, blocking no one else's. Returns the
   * envelopes it could not take (quota full): they are neither stored nor acknowledged.
   */
  const processNow = (from: PeerIdString, record: ConversationRecord, envs: Envelope[]): Promise<Set<Envelope>> => groups.serial(record.id, async () => {
    const pass = newPass()
    const refused = new Set<Envelope>()
    const moved = pass.moved
    await cipher.heldCount(record.id)
    for (const env of envs) {
      // A copy that came on another stream at the same moment was stored while this one waited
      // its turn; receive's rule (at or below the gapless mark is stored) holds here too.
      if (env.seq <= (record.seen[env.author] ?? 0)) continue
      // Beyond a gap the mark tells nothing: a copy an earlier pass stored is found by its key
      // (trying it again, MLS refuses it and it counted as broken against its author).
      if (env.seq > (record.seen[env.author] ?? 0) + 1 && (await cipher.get([envelopeKey(env.conv, env.author, env.seq)]))[0] !== undefined) continue
      // This device's own envelope that it never had: its old self wrote it after the backup
      // this copy was restored from. The number is taken; a commit there is one it cannot follow.
      if (env.author === self && env.seq >= record.nextSeq) {
        record.nextSeq = env.seq + 1
        if (env.kind === 'commit') await ctx.resync.overtaken(record)
      }
      const outcome = await attempt(record, env, pass)
      if (outcome === 'before-join') { skipTo(record, env, pass); continue }
      if (outcome === 'dropped' && !countBroken(record, env)) {
        log.warn('refused an envelope', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, code: 'over-quota', error: 'the author has too many broken envelopes stored in this conversation' })
        refused.add(env)
        continue
      }
      if (outcome === 'wait') {
        log.debug('holding an envelope until its keys arrive', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, epoch: env.epoch })
        if (!cipher.hold(pass.batch, env, env.author)) {
          log.warn('refused an envelope', { conv: record.id, author: env.author, seq: env.seq, kind: env.kind, code: 'too-large', error: 'the author has too many envelopes waiting for keys in this conversation' })
          refused.add(env)
          continue
        }
        record.waiting += 1
      }
      cipher.put(pass.batch, env)
      if (markSeen(record, env.author, env.seq)) moved.add(env.author)
    }
    for (const author of moved) await passStored(record, author)
    // Stored beyond the mark: the author signed a later number, so the ones between exist.
    const ahead = new Map<string, number>()
    for (const env of envs) if (!refused.has(env) && env.seq > (record.seen[env.author] ?? 0) + 1) ahead.set(env.author, Math.max(ahead.get(env.author) ?? 0, env.seq))
    for (const [author, seq] of ahead) pass.holes.push({ author, seq, from })
    await finish(record, pass)
    // A commit or welcome applied here may let what was held before be processed.
    if (record.waiting > 0) void drain(record.id).catch((err: unknown) => { log.warn('processing failed', { conv: record.id, error: errorMessage(err) }) })
    return refused
  })

  const receive = async (from: PeerIdString, all: Envelope[], deposit?: PeerIdString[]): Promise<Envelope[]> => {
    // Before anything else: an envelope its author did not sign takes no place anywhere.
    const envs = all.filter((env) => {
      if (envelopeSigned(env)) return true
      log.warn('dropped an envelope', { from, conv: env.conv, author: env.author, seq: env.seq, kind: env.kind, code: 'wrong-author', error: 'not signed by its author' })
      return false
    })
    if (envs.length === 0) return []
    // In-order delivery needs no read: the next seq after a gapless run cannot be stored yet,
    // and anything at or below it is. Only the rest is looked up.
    const known = (env: Envelope): boolean | undefined => {
      const seen = messages.conversation(env.conv)?.seen[env.author]
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
    const acks: Envelope[] = []
    envs.forEach((env, i) => {
      const key = envelopeKey(env.conv, env.author, env.seq)
      if (present[i] === true || seenNow.has(key)) { acks.push(env); return }
      seenNow.add(key)
      if (deposit !== undefined && components.mailbox === true) {
        // Held for others; this node has no key for it and never tries.
        // Room first: over quota, nothing is stored or acknowledged and the depositor is told
        // (`refused`, over-quota); its copies stay queued on its side.
        ctx.mailboxQuota?.take(batch, key, from, env.mls.byteLength, deposit.filter((p) => p !== from && p !== self))
        log.debug('holding mail', { conv: env.conv, author: env.author, seq: env.seq, for: deposit.length })
        const envKey = cipher.put(batch, env)
        for (const peer of deposit) {
          if (peer === from || peer === self) continue
          outbox.enqueue(batch, peer, { envKey, conv: env.conv, author: env.author, seq: env.seq, messageKey: null, enqueuedAt: Date.now() })
          toKick.push(peer)
        }
        acks.push(env)
        return
      }
      // Not a conversation of this device's: nothing kept; acknowledged so the sender stops.
      const record = isConversationId(env.conv) ? recordFor(env.conv, env, batch) : undefined
      if (record === undefined) { acks.push(env); return }
      // A device removed from the workspace writes nothing more here, as soon as this device knows.
      if (!mayBeIn(record.id, env.author)) {
        log.warn('dropped an envelope', { from, conv: env.conv, author: env.author, seq: env.seq, kind: env.kind, code: 'not-member', error: 'the author may not be in this conversation' })
        return
      }
      byConversation.set(record, [...byConversation.get(record) ?? [], env])
    })
    if (batch.length > 0) await batch.write()
    kickAll([...new Set(toKick)])
    await Promise.all([...byConversation].map(async ([record, list]) => {
      const refused = await processNow(from, record, list)
      for (const env of list) if (!refused.has(env)) acks.push(env)
    }))
    return acks
  }

  return { receive, drain }
}
