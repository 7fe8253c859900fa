import { EnclaveError } from '../errors.js'
import { messageId, parseMessageId } from '../ids.js'
import { MAX_TEXT_LENGTH, textLength } from '../limits.js'
import { isEmoji, MAX_REACTIONS_PER_MEMBER, reactionsBy, reactionsOf, type AnnotationOp, type Annotations } from './annotations.js'
import type { MessageRef } from './annotation-log.js'
import { hlcToMs } from './hybrid-clock.js'
import { orderOf, toMessageView, type ConversationRecord, type StoredMessage } from './message-log.js'
import { indexedDocOf } from './message-search.js'
import type { AppPayload } from './envelope.js'
import type { ConversationId, MessageId, MessageInfo, MessageView, PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { Delivery } from './delivery.js'
import type { StoreBatch } from '../store/store.js'

export type OpPayload = Extract<AppPayload, { type: 'react' | 'edit' | 'recall' | 'pin' }>
/** An op as built, before it gets its conversation, author, number and clock. */
export type OpBody = OpPayload extends infer P ? P extends OpPayload ? Omit<P, 'conv' | 'author' | 'seq' | 'hlc'> : never : never

/** Pins listed per conversation (`chat.pins`); older ones stay pinned on their message but drop off the list. */
export const MAX_PINS = 100
/** How far past an author's gapless mark an op's target may be: it may arrive before its message, not before a made-up one. */
const TARGET_WINDOW = 10_000
/** Can an op or a thread reply from a member name this message: at most TARGET_WINDOW past its author's gapless mark? */
export function plausibleTarget(record: ConversationRecord, target: MessageRef): boolean {
  return target.seq <= (record.seen[target.author] ?? 0) + TARGET_WINDOW
}

/** Characters of a quoted message shown with a reply. */
const QUOTE_CHARS = 200

/** Reactions, edits, recalls and pins: this device's, sent to members, and members', checked and applied. */
export interface MessageActions {
  /** Views with their annotations applied and the messages they quote filled in. */
  decorate(views: MessageView[]): Promise<MessageView[]>
  /** A member's op, checked (who may do what) and applied in `batch`; what to tell the shells once it is written. */
  receive(batch: StoreBatch, record: ConversationRecord, p: OpPayload): Promise<(() => Promise<void>) | undefined>
  /**
   * A message's reactions, edits, recall and pin as another device of this person holds them, for
   * the message stored in `batch` from history it handed over: checked as a member's would be
   * (who may edit or recall), then applied; returns how many were refused.
   */
  importOps(batch: StoreBatch, record: ConversationRecord, msg: StoredMessage, ops: readonly AnnotationOp[]): Promise<number>
  /** A message just stored in `batch`: an edit or recall that came first decides what the search index takes. */
  arrived(batch: StoreBatch, msg: StoredMessage): Promise<void>
  react(id: MessageId, emoji: string, on: boolean): Promise<MessageView>
  edit(id: MessageId, text: string): Promise<MessageView>
  recall(id: MessageId): Promise<MessageView>
  pin(id: MessageId, on: boolean): Promise<MessageView>
  pins(conv: ConversationId): Promise<MessageView[]>
  /** Saves a message for later on this device, or takes it off the list (nobody else is told). */
  save(id: MessageId, saved: boolean): Promise<MessageView>
  /** Saved messages, every conversation, most recently saved first (recalled ones as their tombstone). */
  saved(limit: number): Promise<MessageView[]>
  /**
   * Sends an op with none of the checks above: what a modified client does. The API never calls
   * it; tests play a hostile member with it, and members' checks on arrival are what stop it.
   */
  sendUnchecked(id: MessageId, body: (target: MessageRef) => OpBody): Promise<MessageView>
  /** A message and the replies in its thread, oldest first. */
  thread(id: MessageId): Promise<{ root: MessageView; replies: MessageView[] }>
  /** Tells the shells a stored message changed (a reply counted into its thread). */
  changed(record: ConversationRecord, ref: MessageRef): Promise<void>
  /** Messages that mention this device, every conversation, newest first (recalled ones left out). */
  mentions(limit: number): Promise<MessageView[]>
  /** A message's earlier texts, for those who may see them (`MessageInfo.edits`). */
  editsOf(view: MessageView, record: ConversationRecord | undefined): Promise<MessageInfo['edits']>
}

export interface ActionDeps {
  delivery: Pick<Delivery, 'sealAndQueue' | 'kickAll' | 'rewrite'>
  /** Throws unless this device may write in the conversation now; a DM's group is set up first if there is none yet. */
  ready: (record: ConversationRecord) => Promise<void>
  /** Who has read one of this device's messages (read-receipts.ts). */
  readBy: (record: ConversationRecord | undefined, view: MessageView) => PeerIdString[]
}

/** Messages one person may keep saved per conversation (a personal list, kept in the conversation's record). */
const MAX_SAVED_PER_CONVERSATION = 500

export function createMessageActions(ctx: ChatContext, deps: ActionDeps): MessageActions {
  const { store, emit, self, messages, groups, log } = ctx
  const { sealAndQueue, kickAll, rewrite } = deps.delivery
  const { annotations } = ctx

  /** May `device` recall others' messages here: a channel's creator, or an admin of its workspace. */
  const moderates = ctx.rules.manages

  const opOf = (p: OpPayload): AnnotationOp => {
    const base = { by: p.author, hlc: p.hlc }
    if (p.type === 'react') return { type: 'react', ...base, emoji: p.emoji, on: p.on }
    if (p.type === 'edit') return { type: 'edit', ...base, text: p.text }
    if (p.type === 'pin') return { type: 'pin', ...base, on: p.on }
    return { type: 'recall', ...base }
  }

  /** Recalled content goes from the message's record too; through delivery's queue, which also rewrites it. */
  const erase = async (conv: ConversationId, ref: MessageRef): Promise<void> => {
    const found = await messages.find(conv, ref.author, ref.seq)
    if (found === undefined || found.msg.erased === true) return
    // Its chunks go too, on this device: read while the message still says which file it was.
    if (found.msg.file !== undefined) {
      await ctx.components.bus.dispatch('file:recalling', { messageId: messageId(conv, ref.author, ref.seq) }).catch((err: unknown) => {
        log.warn('could not delete a recalled file', { conv, error: err instanceof Error ? err.message : String(err) })
      })
    }
    await rewrite(found.key, (msg) => {
      if (msg.erased === true) return false
      msg.text = ''
      delete msg.file
      msg.erased = true
      return true
    })
  }

  const applyAnn = (view: MessageView, ann: Annotations | undefined): MessageView => {
    if (ann === undefined) return view
    if (ann.recalled !== undefined) {
      const { file: _file, reactions: _r, pinned: _p, editedAt: _e, ...rest } = view
      return { ...rest, text: '', recalled: { by: ann.recalled.by, at: hlcToMs(ann.recalled.hlc) } }
    }
    const out = { ...view }
    const last = ann.edits.at(-1)
    if (last !== undefined) { out.text = last.text; out.editedAt = hlcToMs(last.hlc) }
    const reactions = reactionsOf(ann)
    if (reactions.length > 0) out.reactions = reactions
    if (ann.pin?.on === true) out.pinned = { by: ann.pin.by, at: hlcToMs(ann.pin.hlc) }
    return out
  }

  const decorate = async (views: MessageView[]): Promise<MessageView[]> => {
    const byConv = new Map<ConversationId, MessageView[]>()
    for (const v of views) byConv.set(v.conversationId, [...byConv.get(v.conversationId) ?? [], v])
    const out = new Map<MessageId, MessageView>()
    for (const [conv, list] of byConv) {
      const record = messages.conversation(conv)
      const quoted = list.flatMap((v) => (v.replyTo === undefined ? [] : [parseMessageId(v.replyTo.id)]))
      const refs: MessageRef[] = [...list.map((v) => ({ author: v.author, seq: v.seq })), ...quoted]
      const anns = await annotations.get(conv, refs)
      const quotes = await Promise.all(quoted.map((q) => messages.find(conv, q.author, q.seq)))
      list.forEach((v, i) => {
        const ann = anns[i]
        let d = applyAnn(v, ann)
        // Sent from another device of this person: this person's message here too.
        if (!v.mine && record !== undefined && ctx.rules.samePerson(record, v.author, self)) d = { ...d, mine: true }
        if (!v.mine && d.recalled === undefined && (v.mentionsAll === true || v.mentions?.includes(self) === true)) d = { ...d, mentionsMe: true }
        const replies = ann?.replies
        if (replies !== undefined) d = { ...d, thread: { count: replies.count, lastAt: hlcToMs(replies.lastHlc), repliers: replies.repliers } }
        const saved = record?.saved?.find((s) => orderOf(s.key) === v.order)
        if (saved !== undefined) d = { ...d, savedAt: saved.at }
        const readBy = deps.readBy(record, v)
        if (readBy.length > 0) d = { ...d, readBy }
        if (ann?.recalled !== undefined && v.text !== '') void erase(conv, v).catch(() => undefined)
        if (v.replyTo !== undefined) {
          const at = quoted.findIndex((q) => messageId(conv, q.author, q.seq) === v.replyTo?.id)
          const found = quotes[at]
          const shown = found === undefined ? undefined : applyAnn(toMessageView(found.msg, found.key), anns[list.length + at])
          d = { ...d, replyTo: { ...v.replyTo, text: shown === undefined ? null : shown.text.slice(0, QUOTE_CHARS), recalled: shown?.recalled !== undefined, ...(shown?.file === undefined ? {} : { fileName: shown.file.name }) } }
        }
        out.set(v.id, d)
      })
    }
    return views.map((v) => out.get(v.id) ?? v)
  }

  /** The stored message an op names, decorated; undefined if it is not here (yet). */
  const viewOf = async (record: ConversationRecord, ref: MessageRef): Promise<MessageView | undefined> => {
    const found = await messages.find(record.id, ref.author, ref.seq)
    if (found === undefined) return undefined
    const [v] = await decorate([toMessageView(found.msg, found.key, record)])
    return v
  }

  /** The index takes a message as it reads now: its newest edit, or nothing once recalled. */
  const indexAsShown = async (batch: StoreBatch, msg: StoredMessage, ann: Annotations): Promise<void> => {
    if (ctx.index === null) return
    if (ann.recalled !== undefined) { await ctx.index.remove(batch, messageId(msg.conv, msg.author, msg.seq)); return }
    const doc = ann.edits.length === 0 ? null : indexedDocOf(msg, ann.edits.at(-1)?.text)
    if (doc !== null) await ctx.index.replace(batch, doc)
  }

  /** The search index follows an edit (the newest text is found, not the old) and a recall (nothing is). */
  const reindex = async (batch: StoreBatch, record: ConversationRecord, target: MessageRef, changed: string, ann: Annotations): Promise<void> => {
    if (ctx.index === null || (changed !== 'edit' && changed !== 'recall')) return
    if (changed === 'recall') { await ctx.index.remove(batch, messageId(record.id, target.author, target.seq)); return }
    const found = await messages.find(record.id, target.author, target.seq)
    if (found !== undefined) await indexAsShown(batch, found.msg, ann)
  }

  /** A message stored (in `batch`) after an edit or a recall of it arrived: indexed as it reads, not as sent. */
  const arrived = async (batch: StoreBatch, msg: StoredMessage): Promise<void> => {
    if (ctx.index === null) return
    const [ann] = await annotations.get(msg.conv, [{ author: msg.author, seq: msg.seq }])
    if (ann !== undefined) await indexAsShown(batch, msg, ann)
  }

  /** Notes a pin change in the conversation's list (saved with the batch). */
  const notePin = (record: ConversationRecord, ref: MessageRef, on: boolean, hlc: number): void => {
    const rest = (record.pins ?? []).filter((p) => p.author !== ref.author || p.seq !== ref.seq)
    record.pins = on ? [{ ...ref, hlc }, ...rest].sort((a, b) => b.hlc - a.hlc).slice(0, MAX_PINS) : rest
  }

  /** Applies an op (already allowed) in `batch`; returns what to tell once it is written. */
  const apply = async (batch: StoreBatch, record: ConversationRecord, target: MessageRef, op: AnnotationOp): Promise<(() => Promise<void>) | undefined> => {
    const { changed, ann } = await annotations.apply(batch, record.id, target, op)
    if (changed === null) return undefined
    await reindex(batch, record, target, changed, ann)
    if (changed === 'pin' || (changed === 'recall' && record.pins?.some((p) => p.author === target.author && p.seq === target.seq) === true)) {
      notePin(record, target, ann.pin?.on === true, op.hlc)
      messages.saveConversation(batch, record)
    }
    const id = messageId(record.id, target.author, target.seq)
    return async () => {
      if (changed === 'recall') await erase(record.id, target)
      const view = await viewOf(record, target)
      if (view !== undefined) emit('chat.messageUpdated', view)
      if (changed === 'reactions') emit('chat.reactionsChanged', { messageId: id, conversationId: record.id, reactions: reactionsOf(ann) })
      else if (changed === 'edit' && view !== undefined) emit('chat.messageEdited', { messageId: id, conversationId: record.id, text: view.text, editedAt: view.editedAt ?? 0 })
      else if (changed === 'recall') emit('chat.messageRecalled', { messageId: id, conversationId: record.id, by: op.by })
      else if (changed === 'pin') emit('chat.pinsChanged', { conversationId: record.id, messageId: id, pinned: ann.pin?.on === true })
    }
  }

  /**
   * The time limit a recall by `author` of its own message, sent at `sentAt` and recalled at `at`,
   * went past (minutes), or null when within it. A channel's managers have none. Both times are the
   * author's own clock: the limit binds honest clients and converges; it cannot stop an author who
   * forges their clock (they could as well have never sent the message).
   */
  const lateRecall = (record: ConversationRecord, author: PeerIdString, sentAt: number, at: number): number | null => {
    if (moderates(record, author)) return null
    const limit = ctx.rules.recallMinutes(record)
    return limit !== null && at - sentAt > limit * 60_000 ? limit : null
  }

  /** Why a member's op may not apply (undefined: it may). `here`: its message is stored, so its number is real. */
  const refusal = async (record: ConversationRecord, op: AnnotationOp, target: MessageRef, here = false): Promise<string | undefined> => {
    // An own recall is checked against the time limit when its message is here (an early recall
    // is kept and applies when the message comes, as any op: the author's clock is all there is).
    // A person's devices act for the person: what one of them sent, another may edit or recall.
    const authors = ctx.rules.samePerson(record, target.author, op.by)
    const found = op.type === 'recall' && authors ? await messages.find(record.id, target.author, target.seq) : undefined
    // A number far ahead may still be a message here: one moved from an old DM (dm-migration.ts).
    const ahead = !here && !plausibleTarget(record, target) && await messages.find(record.id, target.author, target.seq) === undefined
    return ahead ? 'its message is too far ahead'
      : op.type === 'edit' && !authors ? 'only its author edits a message'
        : op.type === 'recall' && !authors && !moderates(record, op.by) ? 'only its author or a channel manager recalls a message'
          : found !== undefined && lateRecall(record, op.by, hlcToMs(found.msg.hlc), hlcToMs(op.hlc)) !== null ? 'past the workspace\'s time limit for recalling'
            : undefined
  }

  const receive = async (batch: StoreBatch, record: ConversationRecord, p: OpPayload): Promise<(() => Promise<void>) | undefined> => {
    const op = opOf(p)
    const why = await refusal(record, op, p.target)
    if (why === undefined) return apply(batch, record, p.target, op)
    log.info('refused a message action', { conv: record.id, author: p.author, type: p.type, why, code: 'unauthorized' })
    return undefined
  }

  const importOps = async (batch: StoreBatch, record: ConversationRecord, msg: StoredMessage, ops: readonly AnnotationOp[]): Promise<number> => {
    const target = { author: msg.author, seq: msg.seq }
    let refused = 0
    for (const op of ops) {
      if (await refusal(record, op, target, true) === undefined) await apply(batch, record, target, op)
      else refused++
    }
    return refused
  }

  /** The conversation and stored message an id names, or not-found. */
  const locate = async (id: MessageId): Promise<{ record: ConversationRecord; view: MessageView; target: MessageRef; key: string }> => {
    const { conv, author, seq } = parseMessageId(id)
    const record = messages.conversation(conv)
    const found = record === undefined ? undefined : await messages.find(conv, author, seq)
    if (record === undefined || found === undefined) throw new EnclaveError('not-found', `no message ${id}`)
    return { record, view: toMessageView(found.msg, found.key, record), target: { author, seq }, key: found.key }
  }

  /** Sends an op on a stored message and applies it here as a member would; no permission check. */
  const send = async (id: MessageId, build: (target: MessageRef) => OpBody): Promise<MessageView> => {
    const { record, target } = await locate(id)
    await deps.ready(record)
    await groups.serial(record.id, async () => {
      const batch = store.batch()
      let op: AnnotationOp | undefined
      const sent = await sealAndQueue(batch, record, (s, hlc) => {
        const p: OpPayload = { ...build(target), conv: record.id, author: self, seq: s, hlc }
        op = opOf(p)
        return p
      })
      if (op === undefined) throw new EnclaveError('internal', 'the op was not built')
      const tell = await apply(batch, record, target, op)
      await batch.write()
      kickAll(sent.recipients)
      await tell?.()
      // The conversation list shows a recalled or edited newest message as it is now.
      await ctx.announce(record)
    })
    const view = await viewOf(record, target)
    if (view === undefined) throw new EnclaveError('not-found', `no message ${id}`)
    return view
  }

  /** `send` after this device's own checks (what a member's client enforces before others do). */
  const act = async (id: MessageId, check: (view: MessageView, record: ConversationRecord, ann: Annotations | undefined) => void, build: (target: MessageRef) => OpBody): Promise<MessageView> => {
    const { record, view, target } = await locate(id)
    const [ann] = await annotations.get(record.id, [target])
    check(view, record, ann)
    return send(id, build)
  }

  const notRecalled = (ann: Annotations | undefined): void => {
    if (ann?.recalled !== undefined) throw new EnclaveError('bad-request', 'the message was recalled')
  }

  return {
    decorate,
    receive,
    arrived,
    importOps,
    sendUnchecked: send,
    react: (id, emoji, on) => act(id, (_v, _r, ann) => {
      if (!isEmoji(emoji)) throw new EnclaveError('bad-request', 'a reaction is one emoji')
      notRecalled(ann)
      const has = ann?.reactions.some((r) => r.emoji === emoji && r.by === self && r.on) === true
      if (on && !has && ann !== undefined && reactionsBy(ann, self) >= MAX_REACTIONS_PER_MEMBER) throw new EnclaveError('too-large', `at most ${MAX_REACTIONS_PER_MEMBER} reactions per message`)
    }, (target) => ({ type: 'react', target, emoji, on })),
    edit: (id, text) => act(id, (v, record, ann) => {
      if (!v.mine && !ctx.rules.samePerson(record, v.author, self)) throw new EnclaveError('unauthorized', 'only its author can edit a message')
      notRecalled(ann)
      if (v.file === undefined && text.trim().length === 0) throw new EnclaveError('bad-request', 'message text is empty; recall the message instead')
      if (textLength(text) > MAX_TEXT_LENGTH) throw new EnclaveError('too-large', `message text longer than ${MAX_TEXT_LENGTH} characters`)
    }, (target) => ({ type: 'edit', target, text })),
    recall: (id) => act(id, (v, record, ann) => {
      notRecalled(ann)
      const own = v.mine || ctx.rules.samePerson(record, v.author, self)
      if (!own && !moderates(record, self)) throw new EnclaveError('unauthorized', 'only its author, or a channel\'s creator or admin, can recall a message')
      const limit = own ? lateRecall(record, self, v.sentAt, hlcToMs(ctx.clock.now())) : null
      if (limit !== null) throw new EnclaveError('blocked-by-policy', `a message here can be recalled only within ${limit} minutes of sending`)
    }, (target) => ({ type: 'recall', target })),
    pin: (id, on) => act(id, (_v, _r, ann) => { notRecalled(ann) }, (target) => ({ type: 'pin', target, on })),
    save: async (id, on) => {
      const { record, view, key } = await locate(id)
      const rest = (record.saved ?? []).filter((s) => s.key !== key)
      if (on && rest.length >= MAX_SAVED_PER_CONVERSATION) throw new EnclaveError('too-large', `at most ${MAX_SAVED_PER_CONVERSATION} saved messages per conversation`)
      record.saved = on ? [...rest, { key, at: Date.now() }] : rest
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      const [v = view] = await decorate([view])
      emit('chat.messageUpdated', v)
      return v
    },
    saved: async (limit) => {
      // Within a conversation the later saved is last: saved in the same millisecond still sort newest first.
      const newest = messages.conversations().flatMap((r) => [...r.saved ?? []].reverse()).sort((a, b) => b.at - a.at).slice(0, limit)
      const found = await messages.byKeys(newest.map((s) => s.key))
      return decorate(found.flatMap((m, i) => (m === undefined ? [] : [toMessageView(m, newest[i]?.key ?? '', messages.conversation(m.conv))])))
    },
    pins: async (conv) => {
      const record = messages.conversation(conv)
      if (record === undefined) throw new EnclaveError('not-found', `no conversation ${conv}`)
      const found = await Promise.all((record.pins ?? []).map((p) => messages.find(conv, p.author, p.seq)))
      const views = found.flatMap((f) => (f === undefined ? [] : [toMessageView(f.msg, f.key, record)]))
      return (await decorate(views)).filter((v) => v.pinned !== undefined)
    },
    thread: async (id) => {
      const { record, view, target } = await locate(id)
      const [ann] = await annotations.get(record.id, [target])
      const keys = ann?.replies?.keys ?? []
      const found = await messages.byKeys(keys)
      const replies = found.flatMap((m, i) => (m === undefined ? [] : [toMessageView(m, keys[i] ?? '', record)])).sort((a, b) => a.order.localeCompare(b.order))
      const [root = view, ...rest] = await decorate([view, ...replies])
      return { root, replies: rest }
    },
    changed: async (record, ref) => {
      const view = await viewOf(record, ref)
      if (view !== undefined) emit('chat.messageUpdated', view)
    },
    mentions: async (limit) => {
      const keys = messages.conversations().flatMap((r) => r.mentionKeys ?? [])
      const newest = keys.sort((a, b) => orderOf(b).localeCompare(orderOf(a))).slice(0, limit)
      const found = await messages.byKeys(newest)
      const views = found.flatMap((m, i) => (m === undefined ? [] : [toMessageView(m, newest[i] ?? '', messages.conversation(m.conv))]))
      return (await decorate(views)).filter((v) => v.recalled === undefined)
    },
    editsOf: async (view, record) => {
      if (!view.mine && (record === undefined || !moderates(record, self))) return []
      const [ann] = await annotations.get(view.conversationId, [view])
      if (ann === undefined || ann.edits.length === 0 || ann.recalled !== undefined) return []
      const found = await messages.find(view.conversationId, view.author, view.seq)
      const first = found === undefined ? [] : [{ at: view.sentAt, text: found.msg.text }]
      return [...first, ...ann.edits.slice(0, -1).map((e) => ({ at: hlcToMs(e.hlc), text: e.text }))]
    }
  }
}
