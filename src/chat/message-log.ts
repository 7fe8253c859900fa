import { EnclaveError } from '../errors.js'
import { hlcToMs, orderKey } from './hybrid-clock.js'
import { messageId } from '../ids.js'
import { MAX_HISTORY_PAGE } from '../limits.js'
import type { ChannelVisibility, ConversationId, ConversationStatus, ConversationView, DeliveryState, FilePreviewView, MessageView, OnTheWay, PeerIdString, WorkspaceId } from '../api/contract.js'
import { hourBounds, hourOfOrder } from '../store/key-layout.js'
import type { Collection, Store, StoreBatch } from '../store/store.js'
import { GAVE_UP, stateOf, summarise, WAITING, type Receipts } from './receipts.js'

/**
 * A message as kept on disk. For this device's own, `receipts` says who it went to and who
 * stored it; the state shown is derived from them against the conversation's members now
 * (receipts.ts), `state` is what it was when last written.
 */
/** A shared file as a message keeps it (JSON at rest, sealed by the store): `root` in hex, `key` in base64. */
export interface StoredFile {
  name: string
  size: number
  mime: string
  root: string
  key: string
  chunkBytes: number
  preview?: StoredPreview
}

/** An image's or video's preview at rest: as the API shows it (`MessageFile['preview']`). */
export type StoredPreview = FilePreviewView

export interface StoredMessage {
  conv: ConversationId
  author: PeerIdString
  seq: number
  hlc: number
  text: string
  /** A file message: the file, and `text` is its caption. */
  file?: StoredFile
  /** The message this one quotes (same conversation). */
  reply?: { author: PeerIdString; seq: number }
  /** Devices it @mentions, and whether it mentions everyone (@all, from a manager). */
  mentions?: PeerIdString[]
  all?: true
  /** A reply in the thread of this message (same conversation); `echo`: also shown in the conversation. */
  thread?: { author: PeerIdString; seq: number }
  echo?: true
  /** Recalled: `text` and `file` were erased (annotations say by whom). */
  erased?: true
  state: DeliveryState
  mine: boolean
  /** This device's message: its recipient devices and their acknowledgements. */
  receipts?: Receipts
  /**
   * Written before receipts were kept (schema 4 and older): the devices that had not
   * acknowledged yet. Read as receipts with nobody acknowledged (`receiptsOf`).
   */
  awaiting?: PeerIdString[]
}

/**
 * The receipts of this device's message, from what it stored: old records name only who was
 * still awaited (the rest are not known, so they are not counted). Undefined for others' messages.
 */
export function receiptsOf(msg: StoredMessage): Receipts | undefined {
  if (!msg.mine) return undefined
  if (msg.receipts !== undefined) return msg.receipts
  if (msg.awaiting === undefined) return undefined
  const r: Receipts = { to: msg.awaiting, at: msg.awaiting.map(() => (msg.state === 'failed' ? GAVE_UP : WAITING)) }
  if (msg.state === 'sent') r.boxed = true
  msg.receipts = r
  delete msg.awaiting
  return r
}

export interface ConversationRecord {
  id: ConversationId
  kind: 'dm' | 'channel'
  /** The other device of a DM (for a person DM, the one it began with); null for channels. */
  peerId: PeerIdString | null
  /**
   * A person DM's other person (`ids.ts` personDmId): every active device of the two people is in
   * it. Unset for channels and for a DM between two devices (no shared workspace).
   */
  peerUser?: string
  workspaceId: WorkspaceId | null
  name: string | null
  topic: string
  visibility: ChannelVisibility | null
  archived: boolean
  creator: PeerIdString | null
  /** Clock of the channel settings in force (newest wins). */
  metaHlc: number
  status: ConversationStatus
  /** Devices of the MLS group, as of the last state this device applied. */
  members: PeerIdString[]
  pendingMembers: PeerIdString[]
  /** Devices that asked to leave: the committer policy passes over them. */
  leaving: PeerIdString[]
  /**
   * Membership requests every member notes until a commit carries them out, so a member who
   * becomes committer (the previous one left the workspace) finishes them.
   */
  requests: Array<{ author: PeerIdString; op: 'add' | 'remove'; devices: PeerIdString[] }>
  committer: PeerIdString | null
  /** Sequence number this device gives its next envelope here. */
  nextSeq: number
  /** Per author, the highest sequence number below which nothing is missing: what catch-up asks beyond. */
  seen: Record<string, number>
  /** Envelopes stored but not processed yet (waiting for an epoch or a welcome). */
  waiting: number
  /**
   * Per author, its signed envelopes stored here that MLS refused (count and MLS bytes): they
   * count against the author's quota of broken envelopes (`inbound.ts`).
   */
  broken?: Record<string, { n: number; bytes: number }>
  /**
   * A channel: the epoch of the welcome this device joined its group with. Envelopes of earlier
   * epochs were written before it joined and can never be opened here; since an author's epochs
   * only grow with its sequence numbers, one such envelope shows that all the author's earlier
   * ones are from before too (`inbound.ts`, catch-up's `since`). Unset: created here, or joined
   * before this was kept.
   */
  joinedEpoch?: number
  /**
   * A person DM: per group (a DM may have one per device that started one, each with its own
   * epochs), the epoch of the welcome this device joined it with; `joinedEpoch` is left unset.
   */
  joinedEpochs?: Record<string, number>
  /** This device's messages not encrypted yet: a DM whose peer was never reachable to set up its group. */
  heldKeys: string[]
  /** Per member device, the clock up to which it said it read here (read-receipts.ts). */
  reads?: Record<string, number>
  /** The clock up to which this device last told members it read. */
  readSent?: number
  /** Unread messages here that mention this device (or everyone). */
  mentionsUnread?: number
  /** Muted by this device's person: no notifications and no tray count but for mentions. */
  muted?: boolean
  /** Muted, and mentions do not notify either. */
  silent?: boolean
  /** Storage keys of the newest messages here that mention this device, newest last (at most 50). */
  mentionKeys?: string[]
  /** Messages here this device's person saved for later: storage key and when (ms), oldest first. */
  saved?: Array<{ key: string; at: number }>
  /** Pinned messages, most recently pinned first (message-actions.ts). */
  pins?: Array<{ author: PeerIdString; seq: number; hlc: number }>
  /**
   * History brought from another device of this person (history-transfer.ts): messages older
   * than `before` are still to come (unset: from the newest), `done` once the other has no more.
   */
  imported?: { before: string | null; done: boolean }
  /**
   * An old DM between two devices, replaced by the person DM `id` (dm-migration.ts): hidden from
   * the list, its messages copied there (`done` once all that were here are).
   */
  movedTo?: { id: ConversationId; done: boolean }
  /** Sort key of the newest message, for the conversation list. */
  lastKey: string | null
  unread: number
}

/** Fills in fields that records written before channels existed lack. */
function normalise(record: Partial<ConversationRecord> & Pick<ConversationRecord, 'id'>): ConversationRecord {
  return {
    kind: 'dm',
    peerId: null,
    workspaceId: null,
    name: null,
    topic: '',
    visibility: null,
    archived: false,
    creator: null,
    metaHlc: 0,
    status: 'active',
    members: [],
    pendingMembers: [],
    leaving: [],
    requests: [],
    committer: null,
    nextSeq: 1,
    seen: {},
    waiting: 0,
    broken: {},
    heldKeys: [],
    lastKey: null,
    unread: 0,
    ...record
  }
}

export interface HistoryQuery {
  before?: string
  /** The oldest messages after this order key instead (ignores `before`): paging forwards from a message opened in context. */
  after?: string
  /** @default 50, at most 1,000 */
  limit?: number
}


const SEP = '!'
/** Sorts after every order key (they are digits, base58 and colons). */
const END = '~'

function seqKey(seq: number): string {
  return seq.toString().padStart(10, '0')
}


/**
 * Conversations and their messages on disk. Messages are keyed by conversation and sort key;
 * on disk that key is hidden (store/key-layout.ts) and only the hour stays a group, so history
 * reads hour by hour, newest first, and sorts each hour in memory. The hours that hold a
 * conversation's messages are kept per conversation, sealed. A second index by (author, seq)
 * finds duplicates.
 * Conversation records are cached in memory and only this module writes them, so concurrent
 * sends never read-modify-write the same record.
 */
export interface MessageLog {
  conversation(id: ConversationId): ConversationRecord | undefined
  conversations(): ConversationRecord[]
  /** Returns the conversation's record, creating it (in `batch`) from `init` if new. */
  ensure(id: ConversationId, batch: StoreBatch, init: () => Partial<ConversationRecord>): ConversationRecord
  /** Adds a message to a batch; returns its storage key. Updates the cached conversation. */
  append(batch: StoreBatch, msg: StoredMessage, opts: { countUnread: boolean }): string
  /** Overwrites a stored message (state changes); `key` is what `append` returned. */
  update(batch: StoreBatch, key: string, msg: StoredMessage): void
  /** Which of these (author, seq) pairs are already stored. */
  known(conv: ConversationId, refs: Array<{ author: string; seq: number }>): Promise<boolean[]>
  /** The storage key of a message, if stored (or appended in a batch not written yet). */
  find(conv: ConversationId, author: string, seq: number): Promise<{ key: string; msg: StoredMessage } | undefined>
  history(conv: ConversationId, query: HistoryQuery): Promise<Array<{ key: string; msg: StoredMessage }>>
  markRead(batch: StoreBatch, conv: ConversationId): ConversationRecord
  /** Messages by storage key, in the order asked. */
  byKeys(keys: string[]): Promise<Array<StoredMessage | undefined>>
  /** Persists the cached record of a conversation into `batch`. */
  saveConversation(batch: StoreBatch, record: ConversationRecord): void
  /** Every (conversation, hour) that holds messages: what indexing history walks. */
  hourGroups(): Array<{ conv: ConversationId; hour: number }>
  /** The messages of one hour of a conversation, with their storage keys, in no order. */
  readHour(conv: ConversationId, hour: number): Promise<Array<{ key: string; msg: StoredMessage }>>
}

/** Told of every message appended, in the batch that stores it (the search index). */
export type AppendHook = (batch: StoreBatch, key: string, msg: StoredMessage) => void

/** Storage keys kept in memory for hours read whole, at most this many in all. */
const HOUR_KEYS_LIMIT = 100_000

/** Index of the first of sorted `keys` that is not below `key`. */
function firstAtOrAfter(keys: string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((keys[mid] ?? '') < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The storage keys of recently read hours, ascending. Keys on disk do not sort by time inside
 * an hour, so the first page of a busy hour decrypts all of it; the next pages and reopening
 * the conversation read only the messages they show. Least recently used hours go first.
 */
interface HourKeys {
  get(conv: string, hour: number): string[] | undefined
  /** Call before reading an hour whole: keys added while it is read, or added before and not yet written, are kept too. */
  reading(conv: string, hour: number): void
  keep(conv: string, hour: number, keys: string[]): void
  /** A key appended to a batch not written yet; `written` once it is on disk. */
  add(conv: string, hour: number, key: string): void
  written(conv: string, hour: number, key: string): void
}

function createHourKeys(): HourKeys {
  const byHour = new Map<string, string[]>()
  /** Keys appended to hours being read: the read may have started before they were written. */
  const whileReading = new Map<string, string[]>()
  /**
   * Keys appended whose batch is not written yet. A read that starts now may not see them on
   * disk (its snapshot comes before their write), and nothing else would add them to the list it
   * keeps: the message was stored and never shown.
   */
  const unwritten = new Map<string, Set<string>>()
  let total = 0
  const insert = (keys: string[], key: string): boolean => {
    const at = firstAtOrAfter(keys, key)
    if (keys[at] === key) return false
    keys.splice(at, 0, key)
    return true
  }
  return {
    get: (conv, hour) => {
      const id = `${conv}${SEP}${hour}`
      const keys = byHour.get(id)
      if (keys !== undefined) { byHour.delete(id); byHour.set(id, keys) }
      return keys
    },
    reading: (conv, hour) => {
      const id = `${conv}${SEP}${hour}`
      const pending = whileReading.get(id)
      if (pending === undefined) whileReading.set(id, [...unwritten.get(id) ?? []])
      else pending.push(...unwritten.get(id) ?? [])
    },
    keep: (conv, hour, keys) => {
      const id = `${conv}${SEP}${hour}`
      const pending = whileReading.get(id) ?? []
      whileReading.delete(id)
      // A read that finished first is kept (and kept up to date since): it is as complete.
      if (byHour.has(id)) return
      for (const key of pending) insert(keys, key)
      byHour.set(id, keys)
      total += keys.length
      for (const [id, old] of byHour) {
        if (total <= HOUR_KEYS_LIMIT || old === keys) break
        byHour.delete(id)
        total -= old.length
      }
    },
    add: (conv, hour, key) => {
      const id = `${conv}${SEP}${hour}`
      whileReading.get(id)?.push(key)
      const keys = byHour.get(id)
      if (keys !== undefined && insert(keys, key)) total++
      const waiting = unwritten.get(id) ?? new Set<string>()
      unwritten.set(id, waiting.add(key))
    },
    written: (conv, hour, key) => {
      const id = `${conv}${SEP}${hour}`
      const waiting = unwritten.get(id)
      if (waiting?.delete(key) === true && waiting.size === 0) unwritten.delete(id)
    }
  }
}

export async function createMessageLog(store: Store, onAppend?: AppendHook): Promise<MessageLog> {
  const conversations = store.collection<ConversationRecord>('conversations')
  const messages = store.collection<StoredMessage>('messages')
  const index: Collection<string> = store.collection<string>('messageIndex')
  const hoursOnDisk = store.collection<number[]>('messageHours')
  const cache = new Map<ConversationId, ConversationRecord>()
  for await (const [, record] of conversations.entries()) cache.set(record.id, normalise(record))
  /** Per conversation, the hours holding its messages, ascending. */
  const hours = new Map<string, number[]>()
  for await (const [conv, list] of hoursOnDisk.entries()) hours.set(conv, list)
  for (const conv of cache.keys()) {
    if (hours.has(conv)) continue
    // Written before hours were kept (schema 3), or no message yet: found once from the messages.
    const found = new Set<number>()
    for await (const [key] of messages.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}${END}` })) {
      const hour = hourOfOrder(orderOf(key))
      if (hour !== undefined) found.add(hour)
    }
    const list = [...found].sort((a, b) => a - b)
    hours.set(conv, list)
    if (list.length > 0) await hoursOnDisk.put(conv, list)
  }
  const hourKeys = createHourKeys()
  /** Messages appended in batches not written yet, by index key: an op behind its message in the same batch finds it. */
  const staged = new Map<string, { key: string; msg: StoredMessage }>()
  const noteHour = (batch: StoreBatch, conv: string, hour: number): void => {
    const list = hours.get(conv) ?? []
    if (list.includes(hour)) return
    // Nearly always the newest hour: appended; a late message's older hour is sorted in.
    const at = list.findLastIndex((h) => h < hour) + 1
    list.splice(at, 0, hour)
    hours.set(conv, list)
    batch.put(hoursOnDisk, conv, list)
  }

  /** An hour's storage keys, ascending; the messages too when the hour had to be read whole for them. */
  const keysOfHour = async (conv: string, hour: number): Promise<{ keys: string[]; loaded?: Map<string, StoredMessage> }> => {
    const cached = hourKeys.get(conv, hour)
    if (cached !== undefined) return { keys: cached }
    const bounds = hourBounds(hour)
    hourKeys.reading(conv, hour)
    const loaded = new Map<string, StoredMessage>()
    for await (const [key, msg] of messages.entries({ gte: `${conv}${SEP}${bounds.gte}`, lte: `${conv}${SEP}${bounds.lte}` })) loaded.set(key, msg)
    const keys = [...loaded.keys()].sort()
    hourKeys.keep(conv, hour, keys)
    return { keys, loaded }
  }

  const storageKey = (msg: StoredMessage): string => `${msg.conv}${SEP}${orderKey(msg.hlc, msg.author, msg.seq)}`
  const indexKey = (conv: string, author: string, seq: number): string => `${conv}${SEP}${author}${SEP}${seqKey(seq)}`

  const log: MessageLog = {
    conversation: (id) => cache.get(id),
    conversations: () => [...cache.values()],
    ensure: (id, batch, init) => {
      let record = cache.get(id)
      if (record === undefined) {
        record = normalise({ ...init(), id })
        cache.set(id, record)
        batch.put(conversations, id, record)
      }
      return record
    },
    append: (batch, msg, opts) => {
      const record = cache.get(msg.conv)
      if (record === undefined) throw new EnclaveError('internal', `append to unknown conversation ${msg.conv}`)
      const key = storageKey(msg)
      batch.put(messages, key, msg)
      const at = indexKey(msg.conv, msg.author, msg.seq)
      batch.put(index, at, key)
      const entry = { key, msg }
      staged.set(at, entry)
      batch.afterWrite(() => { if (staged.get(at) === entry) staged.delete(at) })
      const hour = hourOfOrder(orderOf(key))
      if (hour !== undefined) {
        noteHour(batch, msg.conv, hour)
        hourKeys.add(msg.conv, hour, key)
        batch.afterWrite(() => { hourKeys.written(msg.conv, hour, key) })
      }
      if (record.lastKey === null || key > record.lastKey) record.lastKey = key
      if (opts.countUnread) record.unread += 1
      onAppend?.(batch, key, msg)
      batch.put(conversations, record.id, record)
      return key
    },
    update: (batch, key, msg) => { batch.put(messages, key, msg) },
    known: async (conv, refs) => {
      const found = await index.getMany(refs.map((r) => indexKey(conv, r.author, r.seq)))
      return found.map((v) => v !== undefined)
    },
    find: async (conv, author, seq) => {
      const at = indexKey(conv, author, seq)
      const early = staged.get(at)
      if (early !== undefined) return early
      const key = await index.get(at)
      if (key === undefined) return undefined
      const msg = await messages.get(key)
      return msg === undefined ? undefined : { key, msg }
    },
    history: async (conv, query) => {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_HISTORY_PAGE)
      const forwards = query.after !== undefined
      const from = query.after ?? query.before
      const fromHour = from === undefined ? (forwards ? -Infinity : Infinity) : hourOfOrder(from)
      if (fromHour === undefined) return []
      const list = hours.get(conv) ?? []
      const out: Array<{ key: string; msg: StoredMessage }> = []
      for (let n = 0; n < list.length && out.length < limit; n++) {
        const hour = list[forwards ? n : list.length - 1 - n] ?? 0
        if (forwards ? hour < fromHour : hour > fromHour) continue
        const { keys, loaded } = await keysOfHour(conv, hour)
        const wanted = forwards
          ? keys.slice(hour === fromHour ? firstAtOrAfter(keys, `${conv}${SEP}${from ?? ''}\u0000`) : 0).slice(0, limit - out.length)
          : (() => {
              const end = from !== undefined && hour === fromHour ? firstAtOrAfter(keys, `${conv}${SEP}${from}`) : keys.length
              return keys.slice(Math.max(0, end - (limit - out.length)), end).reverse()
            })()
        const msgs = loaded === undefined || wanted.some((k) => !loaded.has(k)) ? await messages.getMany(wanted) : wanted.map((k) => loaded.get(k))
        wanted.forEach((key, i) => {
          const msg = msgs[i]
          if (msg !== undefined) out.push({ key, msg })
        })
      }
      return forwards ? out.slice(0, limit) : out.slice(0, limit).reverse()
    },
    markRead: (batch, conv) => {
      const record = cache.get(conv)
      if (record === undefined) throw new EnclaveError('not-found', `no conversation ${conv}`)
      record.unread = 0
      record.mentionsUnread = 0
      batch.put(conversations, record.id, record)
      return record
    },
    byKeys: (keys) => messages.getMany(keys),
    saveConversation: (batch, record) => { batch.put(conversations, record.id, record) },
    hourGroups: () => [...hours].flatMap(([conv, list]) => list.map((hour) => ({ conv: conv as ConversationId, hour }))),
    readHour: async (conv, hour) => {
      const bounds = hourBounds(hour)
      return (await messages.all({ gte: `${conv}${SEP}${bounds.gte}`, lte: `${conv}${SEP}${bounds.lte}` })).map(([key, msg]) => ({ key, msg }))
    }
  }
  return log
}

/** The order part of a storage key (`conv!order`), which is what `before` pages by. */
/** Is this message the conversation's newest (its storage key is the record's `lastKey`)? */
export function isNewest(record: ConversationRecord, view: MessageView): boolean {
  return record.lastKey === `${view.conversationId}${SEP}${view.order}`
}

export function orderOf(key: string): string {
  return key.slice(key.indexOf(SEP) + 1)
}

/**
 * The devices this device's messages in a conversation are counted against now: the group's
 * members, and a DM's peer even before their group is set up (its first messages wait for it).
 */
export function recipientsNow(record: ConversationRecord): readonly PeerIdString[] {
  return record.peerId === null || record.members.includes(record.peerId) ? record.members : [...record.members, record.peerId]
}

/**
 * The view of a stored message. `record`: its conversation, whose devices now the delivery of
 * this device's message is counted against (undefined: every recipient counts).
 */
export function toMessageView(msg: StoredMessage, key: string, record?: ConversationRecord): MessageView {
  const receipts = receiptsOf(msg)
  const delivery = receipts === undefined ? null : summarise(receipts, record === undefined ? receipts.to : recipientsNow(record))
  const state: DeliveryState = delivery === null || msg.state === 'received' ? msg.state : stateOf(delivery)
  return {
    id: messageId(msg.conv, msg.author, msg.seq),
    conversationId: msg.conv,
    author: msg.author,
    seq: msg.seq,
    sentAt: hlcToMs(msg.hlc),
    order: orderOf(key),
    text: msg.text,
    ...(msg.file === undefined ? {} : { file: { name: msg.file.name, size: msg.file.size, mime: msg.file.mime, ...(msg.file.preview === undefined ? {} : { preview: msg.file.preview }) } }),
    state,
    mine: msg.mine,
    delivery,
    // Filled in from the quoted message when the view is decorated (message-actions.ts).
    ...(msg.mentions === undefined ? {} : { mentions: msg.mentions }),
    ...(msg.all === true ? { mentionsAll: true } : {}),
    ...(msg.thread === undefined ? {} : { threadOf: messageId(msg.conv, msg.thread.author, msg.thread.seq), ...(msg.echo === true ? { echo: true } : {}) }),
    ...(msg.reply === undefined ? {} : { replyTo: { id: messageId(msg.conv, msg.reply.author, msg.reply.seq), author: msg.reply.author, text: null, recalled: false } })
  }
}

export function toConversationView(record: ConversationRecord, last: MessageView | null, rules: Pick<ConversationView, 'canManage' | 'recallMinutes' | 'afterRestore'> & { peerId?: PeerIdString | null }, onTheWay: OnTheWay[] = []): ConversationView {
  return {
    id: record.id,
    kind: record.kind,
    peerId: rules.peerId === undefined ? record.peerId : rules.peerId,
    movedTo: record.movedTo?.id ?? null,
    workspaceId: record.workspaceId,
    name: record.name,
    topic: record.topic,
    visibility: record.visibility,
    archived: record.archived,
    status: record.status,
    members: record.members,
    pendingMembers: record.pendingMembers,
    committer: record.committer,
    canManage: rules.canManage,
    recallMinutes: rules.recallMinutes,
    afterRestore: rules.afterRestore,
    waiting: record.waiting,
    onTheWay,
    lastMessage: last,
    unread: record.unread,
    mentions: record.mentionsUnread ?? 0,
    muted: record.muted === true,
    notify: record.muted !== true ? 'all' : record.silent === true ? 'nothing' : 'mentions'
  }
}
