import { randomBytes } from 'node:crypto'
import { Queue } from '@libp2p/utils'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import * as Y from 'yjs'
import { EnclaveError, errorMessage } from '../errors.js'
import { isDocId, parseDeviceText, parseDocId, PEER_ID_TEXT, peerIdOf } from '../ids.js'
import { MAX_DOC_TITLE, textLength } from '../limits.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { askDocs, DOCS_PROTOCOL, serveDocStream, type DocReply, type DocRequest } from './doc-protocol.js'
import { DOC_EXPORTER_LABEL, open, seal, type SealContext } from './doc-seal.js'
import { createDocStore, type DocRecord } from './doc-store.js'
import { createPeerCursors } from './peer-cursors.js'
import { createDocSearch, type DocSearch } from './doc-search.js'
import type { ApiError, ConversationId, DocId, DocKind, DocView, Emit, PeerIdString } from '../api/contract.js'
import type { GroupAccess } from '../chat/chat-service.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { CoreBus } from '../core-events.js'
import type { PeerId } from '@libp2p/interface'
import type { Store } from '../store/store.js'
import type { FillSource, SearchIndex } from '../search/search-index.js'
import type { DocSearchHit } from '../api/search-views.js'

export interface DocsComponents {
  node: NetNode
  protocols: ProtocolHost
  bus: CoreBus
  store: Store
  log: Logger
  emit: Emit
  self: PeerIdString
  groupAccess(conversationId: ConversationId): GroupAccess | null
  /**
   * Is `device` a guest of the workspace whose own channel `conv` is? Workspace docs are for
   * members: a guest's requests about them get the stranger refusal, and a guest's own device
   * lists none, whatever its conversation's group says (a member made a guest may still be in it
   * until the committer takes them out).
   */
  isWorkspaceGuest(conv: ConversationId, device: PeerIdString): boolean
  isConnected(peer: PeerIdString): boolean
  /**
   * Sends an edit as a conversation message (MLS, durable, acknowledged, left at mailboxes for
   * members who are away), so it reaches colleagues who are never online at the same time.
   */
  sendEdit(conversationId: ConversationId, doc: DocId, update: Uint8Array): Promise<void>
  /** Largest edit `sendEdit` takes; larger ones go straight to connected members and by sync. */
  maxEditBytes: number
  /** Where docs' text is indexed for search (null on a relay or mailbox, which keep no docs to search). */
  index: SearchIndex | null
}

export interface DocsService {
  list(conversationId: ConversationId | null): Promise<DocView[]>
  create(kind: DocKind, title: string, conversationId: ConversationId | null): Promise<DocView>
  rename(docId: DocId, title: string): Promise<DocView>
  open(docId: DocId): Promise<{ doc: DocView; state: string }>
  update(docId: DocId, update: Uint8Array): Promise<DocView>
  awareness(docId: DocId, update: Uint8Array): Promise<void>
  /** Docs whose title or text has every word of `query` (`limit` at most). */
  search(input: { query: string; conversationId?: ConversationId; limit: number }): Promise<DocSearchHit[]>
  /** Every doc's text, for a search index built afresh. */
  readonly textSource: FillSource | null
  /** Retries failed syncs now and then. */
  start(): void
  stop(): Promise<void>
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const enc = (value: unknown): Uint8Array => cborEncode(value)
/** How often docs whose last sync failed are tried again with connected members. */
const RETRY_SYNC_MS = 30_000
/** Members a device syncs a conversation's docs with when its epoch changes. */
const EPOCH_SYNC_PEERS = 3
/** Most doc ids read from one index message, and most new docs it may make here (the rest come with the next exchange). */
const MAX_INDEX = 10_000
const MAX_NEW_PER_INDEX = 500
/** Syncs with one member running at once, and waiting: thousands of docs are worked through, not opened all at once. */
const SYNCS_PER_PEER = 4
const MAX_QUEUED_SYNCS = 2_000
/** Keys of earlier epochs kept, so updates sealed just before a commit still open. */
const MAX_KEYS = 2_000

export async function createDocsService(components: DocsComponents): Promise<DocsService> {
  const { node, protocols, bus, store, log, emit, self } = components
  const docs = await createDocStore(store)
  const keys = new Map<string, Uint8Array>()
  const syncing = new Map<string, number>()
  const errors = new Map<string, ApiError>()
  const cursors = createPeerCursors()
  // A colleague who goes away takes their cursors along at once, not after awareness's timeout.
  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    for (const { doc, update } of cursors.gone(evt.detail.toString())) emit('docs.awareness', { docId: doc, update: b64(update) })
    const peer = peerIdOf(evt.detail)
    syncQueues.get(peer)?.clear()
    syncQueues.delete(peer)
  }
  const syncQueues = new Map<PeerIdString, Queue>()
  const queuedSyncs = new Set<string>()
  /** Syncs a doc with a member when a slot with that member is free; the same doc queued twice runs once. */
  const queueSync = (peer: PeerIdString, r: DocRecord): void => {
    const key = `${peer}/${r.id}`
    if (queuedSyncs.has(key)) return
    let queue = syncQueues.get(peer)
    if (queue === undefined) {
      queue = new Queue({ concurrency: SYNCS_PER_PEER, maxSize: MAX_QUEUED_SYNCS })
      syncQueues.set(peer, queue)
    }
    queuedSyncs.add(key)
    queue.add(() => syncWith(peer, docs.get(r.id) ?? r))
      .catch((err: unknown) => { log.debug('doc sync not queued', { doc: r.id, peer, error: errorMessage(err) }) })
      .finally(() => { queuedSyncs.delete(key) })
  }
  node.addEventListener('peer:disconnect', onDisconnect)
  const epochs = new Map<string, number>()

  /** Docs this device may show: none of a workspace's own channel while it is a guest there. */
  const visible = (r: DocRecord): boolean => r.conversationId === null || !components.isWorkspaceGuest(r.conversationId, self)
  const text: DocSearch | null = components.index === null ? null : createDocSearch({ index: components.index, store, docs, log: log.child('search'), visible })
  const record = (docId: DocId): DocRecord => {
    const r = isDocId(docId) ? docs.get(docId) : undefined
    if (r === undefined || !visible(r)) throw new EnclaveError('not-found', `no doc ${docId.slice(0, 80)}`)
    return r
  }

  const view = async (r: DocRecord): Promise<DocView> => {
    // Docs written before the record kept its meta are read once (and the record fills on their next change).
    const meta = new Map(Object.entries(r.meta ?? (await docs.load(r.id)).getMap<unknown>('meta').toJSON()))
    const access = r.conversationId === null ? null : components.groupAccess(r.conversationId)
    const peers = access?.members.filter((m) => components.isConnected(m)).length ?? 0
    const error = errors.get(r.id) ?? null
    const state = r.conversationId === null ? 'local' : error !== null ? 'error' : (syncing.get(r.id) ?? 0) > 0 ? 'syncing' : peers === 0 ? 'offline' : 'synced'
    return {
      id: r.id,
      kind: meta.get('kind') === 'note' ? 'note' : 'board',
      title: typeof meta.get('title') === 'string' ? meta.get('title') as string : '',
      conversationId: r.conversationId,
      createdBy: creatorOf(meta.get('createdBy')),
      createdAt: typeof meta.get('createdAt') === 'number' ? meta.get('createdAt') as number : 0,
      updatedAt: r.updatedAt,
      sync: { state, peers, error }
    }
  }
  const announce = async (r: DocRecord): Promise<DocView> => {
    const v = await view(r)
    emit('docs.changed', v)
    return v
  }

  /** The doc's key for an epoch: exported from the group while it is at that epoch, kept after. */
  const keyFor = async (conv: ConversationId, doc: string, epoch: number): Promise<Uint8Array | null> => {
    const id = `${conv}/${epoch}/${doc}`
    const known = keys.get(id)
    if (known !== undefined) return known
    const access = components.groupAccess(conv)
    if (access === null || access.epoch !== epoch) return null
    const key = await access.exportSecret(DOC_EXPORTER_LABEL, new TextEncoder().encode(doc))
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string)
    keys.set(id, key)
    return key
  }

  /** Seals a payload for `doc` of `conv` (doc '' for the conversation's index) at the current epoch. */
  const sealIn = async (t: string, conv: ConversationId, doc: string, payload: unknown): Promise<{ epoch: number; n: Uint8Array; c: Uint8Array }> => {
    const access = components.groupAccess(conv)
    if (access === null) throw new EnclaveError('not-member', 'this device is not in the doc\'s conversation')
    const key = await keyFor(conv, doc, access.epoch)
    if (key === null) throw new EnclaveError('internal', 'no key for the current epoch')
    const ctx: SealContext = { t, doc, conv, epoch: access.epoch }
    return { epoch: access.epoch, ...seal(key, ctx, enc(payload)) }
  }
  /** The conversation a shared doc belongs to (personal docs never travel). */
  const convOf = (r: DocRecord): ConversationId => {
    if (r.conversationId === null) throw new EnclaveError('internal', 'a personal doc is never sent')
    return r.conversationId
  }
  const sealFor = async (t: DocRequest['t'], r: DocRecord, payload: unknown): Promise<DocRequest> =>
    ({ t, doc: r.id, conv: convOf(r), ...await sealIn(t, convOf(r), r.id, payload) }) as DocRequest

  const openFrom = async (t: string, doc: string, conv: ConversationId, frame: { epoch: number; n: Uint8Array; c: Uint8Array }): Promise<Record<string, unknown>> => {
    const key = await keyFor(conv, doc, frame.epoch)
    if (key === null) throw new EnclaveError('undecryptable', `no key for epoch ${frame.epoch} of ${conv} here yet`)
    const value = cborDecode(open(key, { t, doc, conv, epoch: frame.epoch }, frame)) as unknown
    if (typeof value !== 'object' || value === null) throw new EnclaveError('bad-frame', 'doc payload is not a map')
    return value as Record<string, unknown>
  }

  const ask = async (peer: PeerIdString, req: DocRequest): Promise<DocReply> => {
    const stream = await protocols.dial(peer, DOCS_PROTOCOL, AbortSignal.timeout(30_000))
    return askDocs(stream, req)
  }

  const applyRemote = async (r: DocRecord, update: Uint8Array): Promise<void> => {
    if (await docs.append(r.id, update, 'remote')) {
      text?.changed(r.id)
      emit('docs.updated', { docId: r.id, update: b64(update) })
      await announce(docs.get(r.id) ?? r)
    }
  }

  /** Two-way state-vector exchange with one member: each ends with everything the other had. */
  const syncWith = async (peer: PeerIdString, r: DocRecord): Promise<void> => {
    syncing.set(r.id, (syncing.get(r.id) ?? 0) + 1)
    try {
      const doc = await docs.load(r.id)
      const reply = await ask(peer, await sealFor('sync', r, { sv: Y.encodeStateVector(doc) }))
      if (reply.t !== 'diff') throw new EnclaveError('bad-frame', 'sync answered without a diff')
      const body = await openFrom('diff', r.id, convOf(r), reply)
      if (!(body.update instanceof Uint8Array) || !(body.sv instanceof Uint8Array)) throw new EnclaveError('bad-frame', 'malformed diff')
      await applyRemote(r, body.update)
      const theirs = Y.encodeStateAsUpdate(doc, body.sv)
      if (theirs.byteLength > 2) await ask(peer, await sealFor('update', r, { update: theirs }))
      errors.delete(r.id)
    } catch (err) {
      errors.set(r.id, { code: err instanceof EnclaveError ? err.code : 'peer-unreachable', message: errorMessage(err).slice(0, 300) })
      log.info('doc sync failed', { doc: r.id, peer, error: errorMessage(err) })
    } finally {
      syncing.set(r.id, (syncing.get(r.id) ?? 1) - 1)
      await announce(docs.get(r.id) ?? r).catch((err: unknown) => { log.warn('could not read a doc after sync', { doc: r.id, error: errorMessage(err) }) })
    }
  }

  /** Docs a member named that this device lacks: recorded, then fetched from that member. */
  const adopt = async (from: PeerIdString, conv: ConversationId, ids: unknown): Promise<void> => {
    if (!Array.isArray(ids)) throw new EnclaveError('bad-frame', 'malformed doc index')
    let made = 0
    for (const id of ids.slice(0, MAX_INDEX)) {
      if (typeof id !== 'string' || !isDocId(id)) continue
      // Docs this device has are synced on their own; only new ones are fetched here.
      if (docs.get(id) !== undefined) continue
      if (made++ >= MAX_NEW_PER_INDEX) break
      queueSync(from, await docs.create(id, conv))
    }
  }

  /** Both sides' doc ids in a conversation, so a member who just joined learns what exists. */
  const exchangeIndex = async (peer: PeerIdString, conv: ConversationId): Promise<void> => {
    const mine = shared(conv).map((r) => r.id)
    const reply = await ask(peer, { t: 'index', doc: '', conv, ...await sealIn('index', conv, '', { docs: mine }) } as DocRequest)
    if (reply.t !== 'index') throw new EnclaveError('bad-frame', 'index answered with something else')
    await adopt(peer, conv, (await openFrom('index-reply', '', conv, reply)).docs)
  }

  let retryTimer: NodeJS.Timeout | undefined
  const retryFailed = (): void => {
    for (const r of docs.list()) {
      if (!errors.has(r.id) || r.conversationId === null || (syncing.get(r.id) ?? 0) > 0) continue
      for (const m of connectedMembers(r.conversationId)) queueSync(m, r)
    }
  }

  const shared = (conv: ConversationId): DocRecord[] => docs.list().filter((r) => r.conversationId === conv)
  const connectedMembers = (conv: ConversationId): PeerIdString[] => (components.groupAccess(conv)?.members ?? []).filter((m) => components.isConnected(m) && !components.isWorkspaceGuest(conv, m))

  /** Sends a sealed frame to every connected member; failures are shown on the doc, and sync repairs them. */
  const broadcast = async (t: 'update' | 'awareness', r: DocRecord, payload: unknown): Promise<void> => {
    if (r.conversationId === null) return
    const members = connectedMembers(r.conversationId)
    if (members.length === 0) return
    const req = await sealFor(t, r, payload)
    await Promise.all(members.map(async (m) => {
      try {
        await ask(m, req)
      } catch (err) {
        if (t === 'awareness') return
        errors.set(r.id, { code: err instanceof EnclaveError ? err.code : 'peer-unreachable', message: errorMessage(err).slice(0, 300) })
        announce(r).catch(() => undefined)
      }
    }))
  }

  /** An edit made on this device: logged, shown in the other shells, sent to connected members. */
  const localUpdate = async (r: DocRecord, update: Uint8Array): Promise<void> => {
    if (r.conversationId !== null && components.groupAccess(r.conversationId) === null) throw new EnclaveError('not-member', 'this device is no longer in the doc\'s conversation; the doc is read-only')
    if (!await docs.append(r.id, update, 'local')) return
    text?.changed(r.id)
    emit('docs.updated', { docId: r.id, update: b64(update) })
    if (r.conversationId !== null && update.byteLength <= components.maxEditBytes) await components.sendEdit(r.conversationId, r.id, update)
    else await broadcast('update', r, { update })
  }

  const requireMember = (from: PeerIdString, conv: ConversationId): GroupAccess => {
    // The same refusal as for a stranger: a guest learns nothing, not even that the docs exist.
    if (components.isWorkspaceGuest(conv, from)) throw strangerRefusal()
    const access = components.groupAccess(conv)
    if (access === null) throw new EnclaveError('not-member', 'this device is not in that conversation')
    if (!access.members.includes(from)) throw new EnclaveError('not-member', 'the sender is not in that conversation')
    return access
  }

  /** An edit a member sent as a conversation message (the chat layer checked it is theirs). */
  const receiveEdit = async (conversationId: ConversationId, from: PeerIdString, docId: DocId, update: Uint8Array): Promise<void> => {
    const known = docs.get(docId)
    if (known !== undefined && known.conversationId !== conversationId) {
      log.warn('refused a doc edit sent in another conversation', { doc: docId, peer: from, code: 'wrong-conversation' })
      return
    }
    try {
      await applyRemote(known ?? await docs.create(docId, conversationId), update)
    } catch (err) {
      // A malformed update from a member: the doc is left as it was, and everyone else is served on.
      log.warn('dropped a doc edit that does not apply', { doc: docId, peer: from, code: 'bad-frame', error: errorMessage(err) })
    }
  }

  /** A docs protocol request from a member. */
  const handle = async (from: PeerIdString, req: DocRequest): Promise<DocReply> => {
    const access = requireMember(from, req.conv)
    if (req.t === 'index') {
      await adopt(from, req.conv, (await openFrom('index', '', req.conv, req)).docs)
      return { t: 'index', ...await sealIn('index-reply', req.conv, '', { docs: shared(req.conv).map((r) => r.id) }) } as DocReply
    }
    let r = docs.get(req.doc)
    if (r !== undefined && r.conversationId !== req.conv) throw new EnclaveError('wrong-conversation', 'that doc belongs to another conversation')
    const body = await openFrom(req.t, req.doc, req.conv, req)
    r ??= await docs.create(req.doc, req.conv)
    if (req.t === 'awareness') {
      if (!(body.update instanceof Uint8Array) || !cursors.seen(from, r.id, body.update)) throw new EnclaveError('bad-frame', 'malformed awareness update')
      emit('docs.awareness', { docId: r.id, update: b64(body.update) })
      return { t: 'ok' }
    }
    if (req.t === 'update') {
      if (!(body.update instanceof Uint8Array)) throw new EnclaveError('bad-frame', 'malformed update')
      await applyRemote(r, body.update)
      return { t: 'ok' }
    }
    if (!(body.sv instanceof Uint8Array)) throw new EnclaveError('bad-frame', 'malformed sync')
    const doc = await docs.load(r.id)
    const key = await keyFor(req.conv, r.id, access.epoch)
    if (key === null) throw new EnclaveError('internal', 'no key for the current epoch')
    const payload = cborEncode({ update: Y.encodeStateAsUpdate(doc, body.sv), sv: Y.encodeStateVector(doc) })
    return { t: 'diff', epoch: access.epoch, ...seal(key, { t: 'diff', doc: r.id, conv: req.conv, epoch: access.epoch }, payload) } as DocReply
  }

  const peerReady = (peer: PeerIdString): void => {
    for (const r of docs.list()) {
      if (r.conversationId === null) continue
      if (components.groupAccess(r.conversationId)?.members.includes(peer) === true && !components.isWorkspaceGuest(r.conversationId, peer)) queueSync(peer, r)
    }
  }

  /** A conversation's group may have moved to a new epoch or changed members. */
  const conversationChanged = (conv: ConversationId): void => {
    const epoch = components.groupAccess(conv)?.epoch
    if (epoch === undefined || epochs.get(conv) === epoch) return
    epochs.set(conv, epoch)
    // A new epoch may let frames that failed to open be resent; a sync repairs any gap. A device
    // that just joined learns the conversation's docs from the index. A few members suffice:
    // edits travel as conversation messages, and every member doing this with every other
    // after each join would be quadratic in a 500-member workspace channel.
    for (const m of sample(connectedMembers(conv), EPOCH_SYNC_PEERS)) {
      exchangeIndex(m, conv).catch((err: unknown) => { log.debug('doc index exchange failed', { conv, peer: m, error: errorMessage(err) }) })
      for (const r of shared(conv)) queueSync(m, r)
    }
  }

  bus.on('peer:ready', peerReady)
  bus.on('conversation:changed', ({ id }) => { conversationChanged(id) })
  bus.on('doc:edit', ({ conv, from, doc, update }) => receiveEdit(conv, from, doc, update))
  /** Does `peer` share a conversation holding a doc with this device? Only then may it send whole boards. */
  const sharesDocs = (peer: PeerIdString): boolean => {
    const convs = new Set(docs.list().flatMap((r) => (r.conversationId === null ? [] : [r.conversationId])))
    return [...convs].some((conv) => components.groupAccess(conv)?.members.includes(peer) === true)
  }
  await protocols.handleMembers(DOCS_PROTOCOL, (stream, connection) => serveDocStream(handle, log, stream, connection, sharesDocs), { maxInboundStreams: 64 })

  return {
    list: async (conversationId) => {
      const mine = docs.list().filter((r) => r.conversationId === conversationId && visible(r)).sort((a, b) => b.updatedAt - a.updatedAt)
      return Promise.all(mine.map(view))
    },
    create: async (kind, title, conversationId) => {
      const name = title.trim()
      if (name.length === 0 || textLength(name) > MAX_DOC_TITLE) throw new EnclaveError('bad-request', `a title has 1–${MAX_DOC_TITLE} characters`)
      if (conversationId !== null && components.groupAccess(conversationId) === null) throw new EnclaveError('not-member', 'this device is not active in that conversation')
      const id = parseDocId(`doc:${randomBytes(16).toString('hex')}`)
      const r = await docs.create(id, conversationId)
      const draft = new Y.Doc()
      draft.getMap('meta').set('kind', kind)
      draft.getMap('meta').set('title', name)
      draft.getMap('meta').set('createdBy', self)
      draft.getMap('meta').set('createdAt', Date.now())
      await docs.append(id, Y.encodeStateAsUpdate(draft), 'local')
      text?.changed(id)
      for (const m of conversationId === null ? [] : connectedMembers(conversationId)) queueSync(m, docs.get(id) ?? r)
      return announce(docs.get(id) ?? r)
    },
    rename: async (docId, title) => {
      const r = record(docId)
      const name = title.trim()
      if (name.length === 0 || textLength(name) > MAX_DOC_TITLE) throw new EnclaveError('bad-request', `a title has 1–${MAX_DOC_TITLE} characters`)
      const doc = await docs.load(r.id)
      // The title lives in the doc itself, so renames merge like any other edit.
      const draft = new Y.Doc()
      Y.applyUpdate(draft, Y.encodeStateAsUpdate(doc))
      const before = Y.encodeStateVector(draft)
      draft.getMap('meta').set('title', name)
      await localUpdate(r, Y.encodeStateAsUpdate(draft, before))
      return announce(docs.get(r.id) ?? r)
    },
    open: async (docId) => {
      const r = record(docId)
      return { doc: await view(r), state: b64(Y.encodeStateAsUpdate(await docs.load(r.id))) }
    },
    update: async (docId, update) => {
      const r = record(docId)
      await localUpdate(r, update)
      return view(docs.get(r.id) ?? r)
    },
    awareness: async (docId, update) => {
      const r = record(docId)
      emit('docs.awareness', { docId: r.id, update: b64(update) })
      await broadcast('awareness', r, { update })
    },
    search: async (input) => {
      const found = await text?.find(input) ?? []
      return Promise.all(found.map(async ({ id, snippet, highlights }) => ({ doc: await view(record(id)), snippet, highlights })))
    },
    textSource: text?.source ?? null,
    start: () => {
      // A failed sync shows on the doc until one succeeds; this retries without waiting for a reconnect.
      retryTimer = setInterval(retryFailed, RETRY_SYNC_MS).unref()
    },
    stop: async () => {
      clearInterval(retryTimer)
      for (const queue of syncQueues.values()) queue.clear()
      node.removeEventListener('peer:disconnect', onDisconnect)
      await text?.stop()
    }
  }
}

/** Who made a doc, as its meta says: any member can write the meta, so it is checked like any input. */
function creatorOf(value: unknown): PeerIdString | null {
  return typeof value === 'string' && PEER_ID_TEXT.test(value) ? parseDeviceText(value) : null
}

/** Up to `n` items picked at random (Fisher–Yates on a copy). */
function sample<T>(items: readonly T[], n: number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy.slice(0, n)
}
