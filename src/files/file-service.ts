import { randomBytes } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { EnclaveError, errorMessage } from '../errors.js'
import { CHUNK_BYTES, MAX_FILE_BYTES, chunkCount, hex, openChunk, readManifest, type Manifest } from './file-seal.js'
import { FILES_PROTOCOL, serveFiles, type FileSource } from './file-protocol.js'
import { createMailboxOffer } from './mailbox-offer.js'
import { createMailboxFiles, type FileDeposit, type MailboxFileLimits, type MailboxFiles } from './mailbox-files.js'
import { mimeOf } from './mime.js'
import { checkFilePolicy, type ConversationFilePolicy } from './file-policy.js'
import { freeSpaceAt, roomFor } from './disk-room.js'
import type { FileRecord } from './file-record.js'
import { createFileSealer, type FileSealer } from './file-sealer.js'
import { countIn, createChunkFetcher, manifestIn, newFetchState, type FetchState, type FetchTarget } from './chunk-fetcher.js'
import type { BlobStore } from './blob-store.js'
import type { ConversationId, ConversationRef, Emit, FilesUsage, FileView, MessageId, MessageView, PeerIdString } from '../api/contract.js'
import { storedPreviewOf } from '../chat/file-message.js'
import type { ChatService, FileMessage } from '../chat/chat-service.js'
import type { FilePreview, FileRef } from '../chat/envelope.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Collection } from '../store/store.js'

export interface FileServiceComponents {
  blobs: BlobStore
  records: Collection<FileRecord>
  chat: Pick<ChatService, 'send' | 'fileMessage' | 'groupAccess' | 'idOf'>
  protocols: Pick<ProtocolHost, 'handleMembers' | 'dial'>
  bus: CoreBus
  emit: Emit
  log: Logger
  self: PeerIdString
  isConnected: (peer: PeerIdString) => boolean
  /** Mailboxes that may hold files for a conversation's members (those of its workspace). */
  mailboxesFor: (conv: ConversationId) => PeerIdString[]
  /** Where a mailbox keeps the files it holds for members away. */
  deposits: Collection<FileDeposit>
  /** The file rules in force in a conversation (its workspace's, and whether a guest is in it). */
  policyOf: (conv: ConversationId) => ConversationFilePolicy
}

export interface FileServiceInit {
  /** Files up to this size are fetched as soon as their message arrives. @default 20 MB */
  autoDownloadBytes?: number
  /** Most runs of chunks asked for at once, one per source. @default 8 */
  parallelRuns?: number
  /** This device is a mailbox: it holds files for members away, within these limits. */
  mailbox?: MailboxFileLimits
}

export interface FileService {
  /** Shares the file at `path` in a conversation: sealed and stored here, then announced by a message. */
  share(ref: ConversationRef, path: string, caption: string): Promise<MessageView>
  /** A shell's upload (a dropped or pasted file, which has no path here): sealed as its chunks arrive. */
  startUpload(input: { name: string; size: number; mime?: string }): Promise<{ uploadId: string; chunkBytes: number }>
  /** Chunk `index` (in order; CHUNK_BYTES, the last one shorter). */
  uploadChunk(uploadId: string, index: number, data: Uint8Array): Promise<{ received: number }>
  /** Shares the uploaded file in a conversation, as `share` does. */
  finishUpload(uploadId: string, ref: ConversationRef, caption: string, preview?: FilePreview): Promise<MessageView>
  cancelUpload(uploadId: string): Promise<void>
  /** A one-use ticket (valid a minute) to read a complete file's plaintext once: a shell's download link. */
  downloadTicket(messageId: MessageId): Promise<string>
  /** The file a ticket names, its plaintext read chunk by chunk; undefined for an unknown, used or expired ticket. */
  redeemTicket(ticket: string): Promise<{ name: string; size: number; chunks: AsyncIterable<Uint8Array> } | undefined>
  get(messageId: MessageId): Promise<FileView>
  /** Chunk `index` of a file's plaintext, if that chunk is on this device. */
  readChunk(messageId: MessageId, index: number): Promise<Uint8Array>
  list(conversationId?: ConversationId): Promise<FileView[]>
  /** Starts (or resumes) fetching a file; resolves with its state at once. */
  download(messageId: MessageId): Promise<FileView>
  pause(messageId: MessageId): Promise<FileView>
  usage(): Promise<FilesUsage>
  /** Deletes the file's chunks and manifest here (stopping any transfer); it can be fetched again. */
  remove(messageId: MessageId): Promise<FileView>
  /** Writes the file's plaintext to `path`, fetching it first if needed; resolves when written. */
  save(messageId: MessageId, path: string): Promise<{ path: string; size: number }>
  start(): Promise<void>
  stop(): Promise<void>
}

/** A member's transfer: the fetch's state, and the file's record and message. */
interface Transfer extends FetchState {
  record: FileRecord
  lastEmit: number
  done: Promise<void>
}

/** A file message as the chunk fetcher sees it. */
interface MessageTarget extends FetchTarget { fm: FileMessage }

const targetOf = (fm: FileMessage): MessageTarget => ({ conv: fm.conv, root: fm.file.root, size: fm.file.size, chunkBytes: fm.file.chunkBytes, fm })

/** Progress events at most this often per file. */
const PROGRESS_EVERY_MS = 250
/** How long a download ticket stays valid. */
const TICKET_MS = 60_000
/** Uploads at once, and how long one may sit idle before it is dropped (with its sealed chunks). */
const MAX_UPLOADS = 8
const UPLOAD_IDLE_MS = 3600_000
/** Tries in a row before a transfer that keeps stopping short waits to be asked for. */
const MAX_TRIES = 10
/** Transfers that stopped short are tried again this often (and whenever a member connects). */
const RETRY_EVERY_MS = 30_000


export async function createFileService(components: FileServiceComponents, init: FileServiceInit = {}): Promise<FileService> {
  const { blobs, records, chat, protocols, bus, emit, log, self } = components
  const autoDownloadBytes = init.autoDownloadBytes ?? 20 * 1000 * 1000
  const parallelRuns = init.parallelRuns ?? 8
  /** Conversations each file root was shared in, as this device saw: what it serves, and to whom. */
  const sharedIn = new Map<string, Set<ConversationId>>()
  const transfers = new Map<MessageId, Transfer>()
  const penalised = new Map<string, number>()
  let stopped = false
  let retryTimer: NodeJS.Timeout | undefined

  /** Mailboxes asked to hold a file shared from here may fetch it like members. */
  const mailboxOffer = createMailboxOffer({ chat, protocols, records, log, self, isConnected: components.isConnected, mailboxesFor: components.mailboxesFor })
  const mailboxFiles: MailboxFiles | undefined = init.mailbox === undefined
    ? undefined
    : createMailboxFiles({ blobs, deposits: components.deposits, protocols, bus, log, penalised, isConnected: components.isConnected, ownsRoot: (root) => sharedIn.has(root) }, init.mailbox)

  const remember = (root: string, conv: ConversationId): void => {
    const set = sharedIn.get(root) ?? new Set<ConversationId>()
    set.add(conv)
    sharedIn.set(root, set)
  }

  const messageOf = async (messageId: MessageId): Promise<FileMessage> => {
    const fm = await chat.fileMessage(messageId)
    if (fm === undefined) throw new EnclaveError('not-found', `no file message ${messageId}`)
    return fm
  }

  const recordOf = async (messageId: MessageId, fm: FileMessage): Promise<FileRecord> => {
    const held = await records.get(messageId)
    if (held !== undefined) return held
    const record: FileRecord = { messageId, conv: fm.conv, root: hex(fm.file.root), size: fm.file.size, state: 'remote', error: null }
    await records.put(messageId, record)
    remember(record.root, record.conv)
    return record
  }

  const manifestHere = (file: FileRef): Promise<Manifest | undefined> => manifestIn(blobs, file.root, file.size)
  const countHave = (m: Manifest): Promise<number> => countIn(blobs, m)

  const viewOf = async (record: FileRecord, fm: FileMessage, transfer = transfers.get(record.messageId)): Promise<FileView> => {
    const chunks = chunkCount(fm.file.size, fm.file.chunkBytes)
    // A transfer knows what is here once it has read the manifest; before, the disk says.
    const have = record.state === 'complete' ? chunks : transfer?.counted === true ? transfer.have : await (async () => {
      const m = await manifestHere(fm.file)
      return m === undefined ? 0 : countHave(m)
    })()
    const haveBytes = Math.min(fm.file.size, have * fm.file.chunkBytes)
    const seconds = transfer === undefined ? 0 : (Date.now() - transfer.startedAt) / 1000
    const speed = transfer === undefined || seconds <= 0 ? 0 : Math.round(transfer.fetchedBytes / seconds)
    return {
      messageId: record.messageId,
      conversationId: record.conv,
      author: fm.author,
      mine: fm.mine,
      sentAt: fm.sentAt,
      name: fm.file.name,
      size: fm.file.size,
      mime: fm.file.mime,
      ...(fm.file.preview === undefined ? {} : { preview: storedPreviewOf(fm.file.preview) }),
      state: record.state,
      haveBytes,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? Math.ceil((fm.file.size - haveBytes) / speed) : null,
      error: record.error,
      blocked: refusal(fm) !== null
    }
  }

  /** Why the rules in force forbid this file message's file, or null. */
  const refusal = (fm: FileMessage): EnclaveError | null => {
    try {
      checkFilePolicy(components.policyOf(fm.conv), fm.file.name, fm.file.size)
      return null
    } catch (err) {
      return err instanceof EnclaveError ? err : new EnclaveError('blocked-by-policy', errorMessage(err))
    }
  }

  const announce = async (record: FileRecord, fm: FileMessage, force = false): Promise<void> => {
    const t = transfers.get(record.messageId)
    if (t !== undefined && !force && Date.now() - t.lastEmit < PROGRESS_EVERY_MS) return
    if (t !== undefined) t.lastEmit = Date.now()
    emit('files.changed', await viewOf(record, fm, t))
  }

  const setState = async (record: FileRecord, fm: FileMessage, state: FileRecord['state'], error: string | null = null): Promise<void> => {
    record.state = state
    record.error = error
    await records.put(record.messageId, record)
    await announce(record, fm, true)
  }

  /** Who may hold a file: its author first, then the conversation's other members that are connected. */
  const sourcesOf = ({ fm }: MessageTarget): PeerIdString[] => {
    const members = chat.groupAccess(fm.conv)?.members ?? []
    const others = members.filter((m) => m !== fm.author && components.isConnected(m))
    // Mailboxes last: they hold files for members who were away, and serve only those.
    const boxes = components.mailboxesFor(fm.conv).filter((b) => b !== self && b !== fm.author && !others.includes(b) && components.isConnected(b))
    return [...(fm.author === self ? [] : [fm.author]), ...others, ...boxes].filter((p) => (penalised.get(p) ?? 0) < Date.now())
  }

  const { fetchAll } = createChunkFetcher<MessageTarget>({ blobs, protocols, log, penalised, sourcesOf, parallelRuns })

  /**
   * A chunk of a file counted whole is gone (removed with another file that named it, or lost
   * on disk): the file goes back to waiting to be fetched, so asking for it again fetches it.
   */
  const lost = async (messageId: MessageId, fm: FileMessage, index: number): Promise<EnclaveError> => {
    const record = await records.get(messageId)
    if (record !== undefined && record.state === 'complete') await setState(record, fm, 'remote', `chunk ${index} went missing; download it again`)
    return new EnclaveError('not-found', `chunk ${index} of the file is not on this device; download it again`)
  }

  /** Transfers being paused or removed: nothing starts them again meanwhile (a retry, a member back). */
  const stopping = new Set<MessageId>()

  /**
   * Stops a transfer under way, if any, once its writes have settled, then runs `then` (the new
   * state the user asked for); no retry starts the file again until it is done.
   */
  const stopTransfer = async (messageId: MessageId, then: () => Promise<void>): Promise<void> => {
    stopping.add(messageId)
    try {
      const t = transfers.get(messageId)
      t?.abort.abort()
      await t?.done.catch(() => undefined)
      await then()
    } finally {
      stopping.delete(messageId)
    }
  }

  /**
   * Starts a transfer nobody asked for just now (a retry, a member back, a small file arriving),
   * unless the rules forbid the file: then it waits, not wanted, saying why.
   */
  const startAllowed = async (record: FileRecord, fm: FileMessage): Promise<void> => {
    if (stopping.has(record.messageId)) return
    const refused = refusal(fm)
    if (refused === null) { startTransfer(record, fm); return }
    if (record.state !== 'remote' || record.error === null) await setState(record, fm, 'remote', refused.message)
  }

  const startTransfer = (record: FileRecord, fm: FileMessage): Transfer => {
    const running = transfers.get(record.messageId)
    if (running !== undefined) return running
    // A file the rules forbid is never fetched, whoever shared it and however its device behaved.
    const refused = refusal(fm)
    if (refused !== null) throw refused
    const t: Transfer = { ...newFetchState(), record, lastEmit: 0, done: Promise.resolve() }
    transfers.set(record.messageId, t)
    t.done = (async () => {
      try {
        if (record.state !== 'fetching') await setState(record, fm, 'fetching')
        await fetchAll(t, targetOf(fm), () => { void announce(record, fm) })
        if (!t.abort.signal.aborted) {
          record.tries = 0
          log.info('file fetched', { file: record.messageId, chunks: t.have, had: t.had, fetched: t.fetched, from: Object.fromEntries(t.from), ms: Date.now() - t.startedAt })
          await setState(record, fm, 'complete')
        }
      } catch (err) {
        if (!t.abort.signal.aborted) {
          log.info('file transfer stopped short', { file: record.messageId, error: errorMessage(err) })
          // Still wanted: tried again when a member who may hold it connects, and now and then. A
          // file fetched unasked that nobody serves (a member may announce roots it never holds)
          // is not tried forever; one the user asked for is.
          record.tries = (record.tries ?? 0) + 1
          await setState(record, fm, record.auto === true && record.tries >= MAX_TRIES ? 'remote' : 'fetching', errorMessage(err))
        }
        throw err
      } finally {
        transfers.delete(record.messageId)
      }
    })()
    t.done.catch(() => undefined)
    return t
  }

  const source: FileSource = {
    manifest: async (from, conv, root) => {
      mayServe(from, conv, root)
      const bytes = await blobs.get(root)
      if (bytes === undefined) throw new EnclaveError('not-found', 'this device does not hold that file')
      return bytes
    },
    chunks: async function * (from, conv, root, start, count) {
      mayServe(from, conv, root)
      const bytes = await blobs.get(root)
      if (bytes === undefined) throw new EnclaveError('not-found', 'this device does not hold that file')
      // The manifest was checked when it was stored (its own hash is its name).
      const hashes = readManifest(bytes).chunks
      for (let i = start; i < start + count && i < hashes.length; i++) {
        const h = hashes[i]
        const chunk = h === undefined ? undefined : await blobs.get(h)
        if (chunk !== undefined) mailboxFiles?.served(from, root, i)
        yield { index: i, bytes: chunk }
      }
    },
    hold: async (from, conv, root, size, forDevices) => {
      if (mailboxFiles === undefined) throw new EnclaveError('not-found', 'this device is not a mailbox')
      await mailboxFiles.hold(from, conv, root, size, forDevices)
    }
  }

  /** Only a current member of the conversation the file was shared in, for a file shared there. */
  const mayServe = (from: PeerIdString, conv: ConversationId, root: Uint8Array): void => {
    // A mailbox asked to hold the file fetches it from here; at a mailbox, the devices it holds the file for collect it.
    if (mailboxOffer.asked(from, root) && sharedIn.get(hex(root))?.has(conv) === true) return
    if (mailboxFiles?.mayServe(from, conv, root) === true) return
    if (chat.groupAccess(conv)?.members.includes(from) !== true) throw new EnclaveError('not-member', 'not a member of that conversation')
    if (sharedIn.get(hex(root))?.has(conv) !== true) throw new EnclaveError('not-found', 'no such file in that conversation')
  }

  await protocols.handleMembers(FILES_PROTOCOL, (stream, connection) => serveFiles(stream, connection, source, log), { maxInboundStreams: 32 })

  /** Download tickets handed to shells: one use each, a minute at most. */
  const tickets = new Map<string, { messageId: MessageId; expires: number }>()
  /** Uploads from a shell under way: sealed as their chunks arrive. */
  const uploads = new Map<string, { sealer: FileSealer; name: string; mime: string; touched: number }>()

  /** A sealer for a file of `size`, after the checks that come before any byte is read. */
  const newSealer = async (ref: ConversationRef | null, size: number): Promise<FileSealer> => {
    if (ref !== null && 'conversationId' in ref && chat.groupAccess(ref.conversationId) === null) throw new EnclaveError('not-found', `no active conversation ${ref.conversationId}`)
    if (size > MAX_FILE_BYTES) throw new EnclaveError('too-large', `files are limited to ${MAX_FILE_BYTES / 1024 ** 3} GiB`)
    await roomFor(blobs, size + chunkCount(size) * 16)
    return createFileSealer(blobs, size)
  }

  const convOf = (ref: ConversationRef): ConversationId => chat.idOf(ref)

  /** Seals the manifest and sends the file's message; the file is served from then on. */
  const announceFile = async (ref: ConversationRef, sealer: FileSealer, name: string, mime: string, caption: string, preview?: FilePreview): Promise<MessageView> => {
    const { root, key, chunkBytes } = await sealer.finish()
    const file: FileRef = { name, size: sealer.size, mime, root, key, chunkBytes, ...(preview === undefined ? {} : { preview }) }
    // Served from the moment the message can reach anyone: the root is known under its conversation first.
    remember(hex(root), convOf(ref))
    const view = await chat.send(ref, caption, { file })
    await records.put(view.id, { messageId: view.id, conv: view.conversationId, root: hex(root), size: sealer.size, state: 'complete', error: null })
    log.debug('file shared', { file: view.id, root: hex(root), size: sealer.size, chunks: sealer.next })
    void mailboxOffer.offer(view.id, view.conversationId, root, sealer.size).catch((err: unknown) => { log.warn('could not leave a file at the mailboxes', { file: view.id, error: errorMessage(err) }) })
    return view
  }

  const service: FileService = {
    share: async (ref, path, caption) => {
      const info = await stat(path).catch((err: unknown) => { throw new EnclaveError('not-found', `cannot read ${path}: ${errorMessage(err)}`) })
      if (!info.isFile()) throw new EnclaveError('bad-request', `${path} is not a file`)
      checkFilePolicy(components.policyOf(convOf(ref)), basename(path), info.size)
      const sealer = await newSealer(ref, info.size)
      try {
        const fh = await open(path, 'r')
        try {
          const buffer = Buffer.alloc(CHUNK_BYTES)
          for (let at = 0; at < info.size;) {
            const { bytesRead } = await fh.read(buffer, 0, Math.min(CHUNK_BYTES, info.size - at), at)
            if (bytesRead === 0) throw new EnclaveError('bad-request', `${path} got shorter while it was read`)
            at += bytesRead
            await sealer.add(buffer.subarray(0, bytesRead))
          }
        } finally {
          await fh.close()
        }
      } catch (err) {
        await sealer.discard()
        throw err
      }
      return announceFile(ref, sealer, basename(path), mimeOf(basename(path)), caption)
    },

    startUpload: async ({ name, size, mime }) => {
      for (const [id, u] of uploads) if (Date.now() - u.touched > UPLOAD_IDLE_MS) { uploads.delete(id); await u.sealer.discard() }
      if (uploads.size >= MAX_UPLOADS) throw new EnclaveError('rate-limited', `at most ${MAX_UPLOADS} uploads at once`)
      const sealer = await newSealer(null, size)
      const uploadId = randomBytes(16).toString('hex')
      uploads.set(uploadId, { sealer, name, mime: mime === undefined || mime === '' ? mimeOf(name) : mime, touched: Date.now() })
      return { uploadId, chunkBytes: CHUNK_BYTES }
    },

    uploadChunk: async (uploadId, index, data) => {
      const u = uploads.get(uploadId)
      if (u === undefined) throw new EnclaveError('not-found', 'no such upload (it may have been idle over an hour)')
      if (index !== u.sealer.next) throw new EnclaveError('bad-request', `expected chunk ${u.sealer.next}, not ${index}`)
      u.touched = Date.now()
      await u.sealer.add(data)
      return { received: Math.min(u.sealer.size, u.sealer.next * CHUNK_BYTES) }
    },

    finishUpload: async (uploadId, ref, caption, preview) => {
      const u = uploads.get(uploadId)
      if (u === undefined) throw new EnclaveError('not-found', 'no such upload (it may have been idle over an hour)')
      uploads.delete(uploadId)
      try {
        checkFilePolicy(components.policyOf(convOf(ref)), u.name, u.sealer.size)
        return await announceFile(ref, u.sealer, u.name, u.mime, caption, preview)
      } catch (err) {
        await u.sealer.discard()
        throw err
      }
    },

    downloadTicket: async (messageId) => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      if (record.state !== 'complete') throw new EnclaveError('not-found', 'the file is not on this device yet')
      for (const [t, d] of tickets) if (d.expires < Date.now()) tickets.delete(t)
      const ticket = randomBytes(16).toString('hex')
      tickets.set(ticket, { messageId, expires: Date.now() + TICKET_MS })
      return ticket
    },

    redeemTicket: async (ticket) => {
      const held = tickets.get(ticket)
      tickets.delete(ticket)
      if (held === undefined || held.expires < Date.now()) return undefined
      const fm = await messageOf(held.messageId)
      const m = await manifestHere(fm.file)
      if (m === undefined) return undefined
      const chunks = async function * (): AsyncGenerator<Uint8Array> {
        for (const [i, h] of m.chunks.entries()) {
          const sealed = await blobs.get(h)
          if (sealed === undefined) throw await lost(held.messageId, fm, i)
          yield openChunk(fm.file.key, i, sealed)
        }
      }
      return { name: fm.file.name, size: fm.file.size, chunks: chunks() }
    },

    cancelUpload: async (uploadId) => {
      const u = uploads.get(uploadId)
      uploads.delete(uploadId)
      await u?.sealer.discard()
    },

    get: async (messageId) => {
      const fm = await messageOf(messageId)
      return viewOf(await recordOf(messageId, fm), fm)
    },

    readChunk: async (messageId, index) => {
      const fm = await messageOf(messageId)
      const hash = (await manifestHere(fm.file))?.chunks[index]
      const sealed = hash === undefined ? undefined : await blobs.get(hash)
      if (sealed === undefined) throw hash === undefined ? new EnclaveError('not-found', `chunk ${index} of the file is not on this device`) : await lost(messageId, fm, index)
      return openChunk(fm.file.key, index, sealed)
    },

    list: async (conversationId) => {
      const out: FileView[] = []
      for await (const [id, record] of records.entries()) {
        if (conversationId !== undefined && record.conv !== conversationId) continue
        const fm = await chat.fileMessage(id as MessageId)
        if (fm !== undefined) out.push(await viewOf(record, fm))
      }
      return out
    },

    download: async (messageId) => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      record.tries = 0
      record.auto = false
      if (record.state !== 'complete') startTransfer(record, fm)
      return viewOf(record, fm)
    },

    pause: async (messageId) => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      await stopTransfer(messageId, async () => {
        if (record.state !== 'complete') await setState(record, fm, 'paused')
      })
      return viewOf(record, fm)
    },

    usage: async () => {
      const free = await blobs.diskFree()
      const { bytes, quotaBytes } = blobs.usage()
      return { bytes, quotaBytes, diskFreeBytes: Number.isFinite(free) ? free : null }
    },

    remove: async (messageId) => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      await stopTransfer(messageId, async () => {
        // Another message naming the same root (a member may repost any file it saw) keeps the
        // chunks. One whose manifest names other files' chunks can still take them with it: the
        // file that loses one goes back to be fetched when next read (`lost`).
        let shared = false
        for await (const [id, other] of records.entries()) if (id !== messageId && other.root === record.root) shared = true
        const m = shared ? undefined : await manifestHere(fm.file)
        for (const h of m?.chunks ?? []) await blobs.delete(h)
        if (!shared) await blobs.delete(fm.file.root)
        // Said once the room is free (retries skip the file meanwhile: `stopping`).
        record.tries = 0
        record.auto = false
        await setState(record, fm, 'remote')
        log.info('file removed from this device', { file: messageId, chunks: m?.chunks.length ?? 0, shared })
      })
      return viewOf(record, fm)
    },

    save: async (messageId, path) => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      if (record.state !== 'complete') await startTransfer(record, fm).done
      const m = await manifestHere(fm.file)
      if (m === undefined) throw new EnclaveError('not-found', 'the file is not here')
      await freeSpaceAt(path, fm.file.size)
      const part = `${path}.part`
      const fh = await open(part, 'w', 0o600)
      try {
        for (const [i, h] of m.chunks.entries()) {
          const sealed = await blobs.get(h)
          if (sealed === undefined) throw await lost(messageId, fm, i)
          await fh.write(openChunk(fm.file.key, i, sealed))
        }
        await fh.sync()
      } catch (err) {
        await fh.close()
        await rm(part, { force: true })
        throw err
      }
      await fh.close()
      await rename(part, path)
      return { path, size: fm.file.size }
    },

    start: async () => {
      for await (const [, record] of records.entries()) {
        remember(record.root, record.conv)
        mailboxOffer.load(record)
      }
      await mailboxFiles?.start()
      // A transfer that stopped short (its holders away) is tried again now and then, besides on connect.
      retryTimer = setInterval(() => {
        void (async () => {
          for await (const [id, record] of records.entries()) {
            if (stopped || record.state !== 'fetching' || transfers.has(id as MessageId)) continue
            const fm = await chat.fileMessage(id as MessageId)
            if (fm !== undefined && sourcesOf(targetOf(fm)).length > 0) await startAllowed(record, fm)
          }
        })().catch((err: unknown) => { log.debug('could not retry file transfers', { error: errorMessage(err) }) })
      }, RETRY_EVERY_MS).unref()
    },

    stop: async () => {
      stopped = true
      clearInterval(retryTimer)
      await mailboxFiles?.stop()
      for (const t of transfers.values()) t.abort.abort()
      await Promise.all([...transfers.values()].map((t) => t.done.catch(() => undefined)))
    }
  }

  /** Files still wanted are tried again when a member of their conversation connects. */
  const resumeFor = async (peer: PeerIdString): Promise<void> => {
    for await (const [id, record] of records.entries()) {
      if (stopped || record.state !== 'fetching' || transfers.has(id as MessageId)) continue
      if (chat.groupAccess(record.conv)?.members.includes(peer) !== true && !components.mailboxesFor(record.conv).includes(peer)) continue
      const fm = await chat.fileMessage(id as MessageId)
      if (fm !== undefined) await startAllowed(record, fm)
    }
  }
  bus.on('peer:ready', (peer) => { resumeFor(peer).catch((err: unknown) => { log.debug('could not resume file transfers', { peer, error: errorMessage(err) }) }) })
  // A recalled file is not kept on any member's disk: its chunks go, and its transfer state.
  bus.on('file:recalling', async ({ messageId }) => {
    if (await chat.fileMessage(messageId) === undefined) return
    await service.remove(messageId)
    await records.del(messageId)
  })
  bus.on('file:shared', ({ messageId, size }) => {
    if (stopped || size > autoDownloadBytes) return
    void (async () => {
      const fm = await messageOf(messageId)
      const record = await recordOf(messageId, fm)
      record.auto = true
      await startAllowed(record, fm)
    })().catch((err: unknown) => { log.debug('could not fetch a shared file', { file: messageId, error: errorMessage(err) }) })
  })
  return service
}
