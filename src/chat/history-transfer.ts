import { encode as cborEncode } from 'cborg'
import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { idSchema, parseConversationId, parseDeviceText } from '../ids.js'
import { MAX_TEXT_LENGTH } from '../limits.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import { appPayload } from './envelope.js'
import { fileRefOf } from './file-message.js'
import { isEmoji, type AnnotationOp, type Annotations } from './annotations.js'
import { orderOf, type ConversationRecord, type StoredMessage } from './message-log.js'
import { orderKey } from './hybrid-clock.js'
import { receivedMessage, type MessagePayload } from './received-message.js'
import { MOVED_RANGE, movedSeq } from './ids.js'
import type { PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { MessageActions } from './message-actions.js'

/**
 * History handed over between the devices of one person (docs/devices.md, "History"). A device
 * that joins a channel (a newly linked laptop) can open no envelope from before it joined: MLS
 * keys of past epochs never reach it. Its person's other devices can read them, so the new
 * device asks one of them for the conversation's messages older than the oldest it holds,
 * newest first, as they read there (with reactions, edits, recalls and pins), over this
 * protocol: the Noise channel between two devices of the same person, nobody else. Served only
 * to another active device of this device's person in a channel both are in.
 */
export const HISTORY_PROTOCOL = '/enclave/history/1.0.0'

/** The newest messages of every channel come first, this many each; then pages of PAGE, further back. */
export const FIRST_PAGE = 50
export const PAGE = 500
/** Bytes of messages in one reply: long messages end a page early, with `more`. */
const REPLY_BYTES = 2 * 1024 * 1024
/** Largest reply accepted: REPLY_BYTES plus one message of the largest kind. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024
const MAX_REQUEST_BYTES = 1024
/** Reactions, edits, a recall and a pin one message may carry over. */
const MAX_OPS = 500

const hlc = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const by = idSchema(parseDeviceText)
const request = z.object({
  conv: idSchema(parseConversationId),
  /** An order key: messages older than it. Unset: the newest. */
  before: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(PAGE)
}).strict()
type HistoryRequest = z.infer<typeof request>
const op = z.discriminatedUnion('type', [
  z.object({ type: z.literal('react'), by, hlc, emoji: z.string().max(32).refine(isEmoji, 'one emoji'), on: z.boolean() }).strict(),
  z.object({ type: z.literal('edit'), by, hlc, text: z.string().max(MAX_TEXT_LENGTH) }).strict(),
  z.object({ type: z.literal('recall'), by, hlc }).strict(),
  z.object({ type: z.literal('pin'), by, hlc, on: z.boolean() }).strict()
])
const item = z.object({
  p: appPayload.refine((p): p is MessagePayload => p.type === 'text' || p.type === 'file', 'a text or file message'),
  ops: z.array(op).max(MAX_OPS)
}).strict()
type HistoryItem = { p: MessagePayload; ops: AnnotationOp[] }
const reply = z.object({ items: z.array(item).max(PAGE), more: z.boolean() }).strict()
const parseRequest = parseWith(request, 'history request')
const parseReply = parseWith(reply, 'history reply')

/** A message and its annotations as they travel: as it reads on this device (a recalled one empty). */
function itemOf(msg: StoredMessage, ann: Annotations | undefined): HistoryItem {
  const recalled = ann?.recalled !== undefined || msg.erased === true
  const common = { conv: msg.conv, author: msg.author, seq: msg.seq, hlc: msg.hlc }
  const p: MessagePayload = msg.file !== undefined && !recalled
    ? { type: 'file', ...common, text: msg.text, file: fileRefOf(msg.file) }
    : {
        type: 'text', ...common, text: recalled ? '' : msg.text,
        ...(msg.reply === undefined ? {} : { reply: msg.reply }),
        ...(msg.mentions === undefined ? {} : { mentions: msg.mentions }),
        ...(msg.all === true ? { all: true as const } : {}),
        ...(msg.thread === undefined ? {} : { thread: msg.thread, ...(msg.echo === true ? { echo: true as const } : {}) })
      }
  if (ann === undefined) return { p, ops: [] }
  const ops: AnnotationOp[] = ann.recalled !== undefined ? [{ type: 'recall', ...ann.recalled }] : [
    ...ann.reactions.map((r): AnnotationOp => ({ type: 'react', by: r.by, hlc: r.hlc, emoji: r.emoji, on: r.on })),
    ...ann.edits.map((e): AnnotationOp => ({ type: 'edit', by: msg.author, hlc: e.hlc, text: e.text })),
    ...(ann.pin === undefined ? [] : [{ type: 'pin' as const, ...ann.pin }])
  ]
  return { p, ops: ops.slice(-MAX_OPS) }
}

export interface HistoryTransfer {
  /** Serves the protocol and starts asking the person's other devices as they connect. */
  start(): Promise<void>
  /** Asks `peer` (another device of this person) for the history of every channel and person DM both are in that this device lacks. */
  pullFrom(peer: PeerIdString): Promise<void>
  /** Copies an old device DM's messages into the person DM that replaces it (dm-migration.ts); returns how many were new. */
  adopt(from: ConversationRecord, into: ConversationRecord, opts: { pages?: number; fresh: boolean }): Promise<number>
  stop(): void
}

export function createHistoryTransfer(ctx: ChatContext, actions: Pick<MessageActions, 'importOps'>): HistoryTransfer {
  const { self, log, policy, messages, groups, components, store } = ctx
  const { mayBeIn } = ctx.rules

  /** Is `peer` another active device of this device's person, in `record`'s workspace? */
  const sibling = (record: ConversationRecord, peer: PeerIdString): boolean =>
    peer !== self && record.workspaceId !== null && policy.isActiveDevice(record.workspaceId, peer) && policy.devicesOfPeople(record.workspaceId, [self]).includes(peer)

  /** A channel or a person DM: a DM with a device of no shared workspace is that device's alone. */
  const ofPeople = (record: ConversationRecord): boolean => record.kind === 'channel' || record.peerUser !== undefined

  const serve = async (from: PeerIdString, req: HistoryRequest): Promise<unknown[]> => {
    const record = messages.conversation(req.conv)
    // The same refusal for a conversation not here and one the asker may not see.
    if (record === undefined || !ofPeople(record) || !sibling(record, from) || !mayBeIn(record.id, from)) throw new EnclaveError('not-found', 'no such conversation here')
    const page = await messages.history(record.id, { ...(req.before === undefined ? {} : { before: req.before }), limit: req.limit })
    const anns = await ctx.annotations.get(record.id, page.map(({ msg }) => ({ author: msg.author, seq: msg.seq })))
    const items: HistoryItem[] = []
    let bytes = 0
    // Newest first, so a page cut short by its bytes leaves only older ones for the next.
    for (let i = page.length - 1; i >= 0 && bytes < REPLY_BYTES; i--) {
      const entry = page[i]
      if (entry === undefined) continue
      const it = itemOf(entry.msg, anns[i])
      bytes += cborEncode(it).byteLength
      items.push(it)
    }
    return [{ items, more: page.length === req.limit || items.length < page.length }]
  }

  /**
   * Stores a page (newest first) in one batch with where the next one starts; returns how many were
   * new. `moved`: a page copied here from an old DM of this device (dm-migration.ts), which says
   * nothing of what is older; the ops of messages copied before are applied again (what changed
   * there since), and new ones count as unread when `fresh`.
   */
  const storePage = (record: ConversationRecord, items: HistoryItem[], done: boolean, moved?: { fresh: boolean }): Promise<number> => groups.serial(record.id, async () => {
    if (items.some(({ p }) => p.conv !== record.id)) throw new EnclaveError('wrong-conversation', 'history of another conversation')
    const batch = store.batch()
    const known = await messages.known(record.id, items.map(({ p }) => ({ author: p.author, seq: p.seq })))
    let added = 0
    let refused = 0
    let oldest = record.imported?.before ?? null
    for (const [i, { p, ops }] of items.entries()) {
      const order = orderKey(p.hlc, p.author, p.seq)
      if (oldest === null || order < oldest) oldest = order
      const msg = receivedMessage(record, p, (device) => ctx.rules.manages(record, device))
      if (known[i] === true) {
        if (moved !== undefined) refused += await actions.importOps(batch, record, msg, ops)
        continue
      }
      const key = messages.append(batch, msg, { countUnread: moved?.fresh === true && !ctx.rules.samePerson(record, msg.author, self) })
      if (msg.thread !== undefined) await ctx.annotations.noteReply(batch, record.id, msg.thread, { by: msg.author, hlc: msg.hlc, key })
      refused += await actions.importOps(batch, record, msg, ops)
      added++
    }
    // Only go on while the pages go further back, whatever the other device says.
    if (moved === undefined) record.imported = { before: oldest, done: done || oldest === (record.imported?.before ?? null) }
    messages.saveConversation(batch, record)
    await batch.write()
    if (refused > 0) log.info('history: refused message actions a member may not take', { conv: record.id, refused, code: 'unauthorized' })
    return added
  })

  /**
   * Copies the messages of `from` (an old DM between two devices) into `into` (the person DM that
   * replaces it) as they read here, each under its author and its number moved into the old DM's
   * range (`movedSeq`; replies and threads point there too). `pages`: only the newest pages (what
   * arrived in the old DM since it moved); `fresh`: count what is new as unread.
   */
  const adopt = async (from: ConversationRecord, into: ConversationRecord, opts: { pages?: number; fresh: boolean }): Promise<number> => {
    const moved = (ref: { author: PeerIdString; seq: number }): { author: PeerIdString; seq: number } => ({ author: ref.author, seq: movedSeq(from.id, ref.seq) })
    let added = 0
    for (let before: string | undefined, n = 1; ; n++) {
      const page = (await messages.history(from.id, { ...(before === undefined ? {} : { before }), limit: PAGE })).filter(({ msg }) => msg.seq < MOVED_RANGE)
      const anns = await ctx.annotations.get(from.id, page.map(({ msg }) => ({ author: msg.author, seq: msg.seq })))
      const items = page.map(({ msg }, i) => itemOf(msg, anns[i])).map(({ p, ops }): HistoryItem => ({
        p: p.type === 'file'
          ? { ...p, conv: into.id, ...moved(p) }
          : { ...p, conv: into.id, ...moved(p), ...(p.reply === undefined ? {} : { reply: moved(p.reply) }), ...(p.thread === undefined ? {} : { thread: moved(p.thread) }) },
        ops
      }))
      added += await storePage(into, items, false, { fresh: opts.fresh })
      const [oldest] = page
      if (oldest === undefined || page.length < PAGE || (opts.pages !== undefined && n >= opts.pages)) return added
      before = orderOf(oldest.key)
    }
  }

  /** Asks `peer` for one page of `record`'s history; true while more are to come. */
  const pullPage = async (peer: PeerIdString, record: ConversationRecord, limit: number): Promise<boolean> => {
    if (record.imported === undefined) {
      // What came since this device joined is here already: older than that is what it lacks.
      const [first] = await messages.history(record.id, { after: orderKey(0, '', 0), limit: 1 })
      record.imported = { before: first === undefined ? null : orderOf(first.key), done: false }
    }
    const { before } = record.imported
    const stream = await components.protocols.dial(peer, HISTORY_PROTOCOL, AbortSignal.timeout(30_000))
    const r = await askOnce(stream, { conv: record.id, limit, ...(before === null ? {} : { before }) }, { maxReplyBytes: MAX_REPLY_BYTES, parse: parseReply })
    // Only go on while the peer makes progress, whatever it claims.
    const done = !r.more || r.items.length === 0
    const added = await storePage(record, r.items, done)
    if (added > 0) {
      ctx.emit('chat.historyImported', { conversationId: record.id, count: added })
      await ctx.announce(record)
    }
    return !record.imported.done
  }

  /** Channels `peer` can hand history of: both are in it, and this device has not all of it. */
  const wanted = (peer: PeerIdString): ConversationRecord[] => messages.conversations().filter((r) =>
    ofPeople(r) && r.status === 'active' && r.imported?.done !== true && r.members.includes(peer) && sibling(r, peer))

  const pulling = new Map<PeerIdString, Promise<void>>()
  /** Peers asked for again while a pull from them ran: channels may have come since it looked. */
  const again = new Set<PeerIdString>()
  let stopped = false
  /**
   * Pulls until `peer` has nothing more for this device: always the first page of a channel not
   * asked yet before a further page of another (the newest of every channel makes the device
   * usable). A channel whose page failed waits for the next pull.
   */
  const pass = async (peer: PeerIdString): Promise<void> => {
    const failedNow = new Set<string>()
    while (!stopped) {
      const todo = wanted(peer).filter((r) => !failedNow.has(r.id))
      const fresh = todo.find((r) => r.imported === undefined)
      const next = fresh ?? todo[0]
      if (next === undefined) return
      const more = await pullPage(peer, next, fresh === undefined ? PAGE : FIRST_PAGE).catch((err: unknown) => failed(peer, next, err))
      if (!more && next.imported?.done !== true) failedNow.add(next.id)
    }
  }
  const pullFrom = (peer: PeerIdString): Promise<void> => {
    const running = pulling.get(peer)
    if (running !== undefined) { again.add(peer); return running }
    const run = (async () => {
      do { again.delete(peer); await pass(peer) } while (again.has(peer) && !stopped)
    })().finally(() => { pulling.delete(peer) })
    pulling.set(peer, run)
    return run
  }
  const failed = (peer: PeerIdString, record: ConversationRecord, err: unknown): false => {
    const code = err instanceof EnclaveError ? err.code : 'internal'
    // `not-found`: the other device has not joined the channel yet (it asks in turn once it has).
    const line = { peer, conv: record.id, code, error: errorMessage(err) }
    if (code === 'not-found') log.debug('history: the other device has not this channel yet', line)
    else log.warn('history: could not fetch from another device of this person', line)
    return false
  }

  const offs: Array<() => void> = []
  return {
    start: async () => {
      await components.protocols.handleMembers(HISTORY_PROTOCOL, (stream, connection) => serveRequest(stream, connection, {
        log: log.child('history'),
        name: 'history',
        maxRequestBytes: MAX_REQUEST_BYTES,
        parse: parseRequest,
        handle: serve
      }), { maxInboundStreams: 4 })
      const tryPeer = (peer: PeerIdString): void => { if (wanted(peer).length > 0) void pullFrom(peer) }
      offs.push(
        components.bus.on('peer:ready', tryPeer),
        // A channel this device was just added to: its history is at a connected sibling.
        components.bus.on('conversation:changed', ({ id }) => {
          const record = messages.conversation(id)
          if (record === undefined || !ofPeople(record) || record.status !== 'active' || record.imported?.done === true || record.workspaceId === null) return
          const mine = policy.devicesOfPeople(record.workspaceId, [self])
          if (mine.length < 2) return
          const connected = new Set(components.connectedPeers())
          for (const peer of mine) if (peer !== self && connected.has(peer) && record.members.includes(peer)) tryPeer(peer)
        })
      )
    },
    pullFrom,
    adopt,
    stop: () => {
      stopped = true
      for (const off of offs) off()
    }
  }
}
