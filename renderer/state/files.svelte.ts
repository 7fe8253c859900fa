import { session } from './session.svelte'
import { withEntries, withoutKey } from './readonly-collections'
import { errorMessage } from './errors'
import { previewOf } from '../ui/media-preview'
import { droppedFiles, MAX_DROPPED_FILES } from '../ui/dropped-files'
import type { ConversationId, FilesUsage, FileView, MessageId, MessageView } from '../../src/api/contract'

/** A file this window is handing to the core (dropped, picked or pasted). */
export interface Upload {
  key: number
  conversationId: ConversationId
  name: string
  size: number
  sent: number
}

/** A blob's bytes as base64, by the browser's own encoder (FileReader), without a string per byte. */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => {
      const url = typeof reader.result === 'string' ? reader.result : ''
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => { reject(reader.error ?? new Error('could not read the file')) }
    reader.readAsDataURL(blob)
  })
}

/** A chunk's base64 as bytes (atob's string holds one byte per character). */
function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/** Thrown inside an upload the user cancelled; not shown as a failure. */
class Cancelled extends Error {}

let nextKey = 1

/**
 * Transfers of the file messages this window showed, by message id: loaded when a file message
 * is first shown, then kept current by `files.changed` (progress, state, errors).
 */
class FilesState {
  byMessage = $state.raw<ReadonlyMap<string, FileView>>(new Map())
  uploads = $state.raw<readonly Upload[]>([])
  /** Why the last share into a conversation failed (its composer says so), by conversation. */
  failures = $state.raw<ReadonlyMap<string, string>>(new Map())
  private asked = new Set<string>()
  /** Room files take on this device, loaded by the Files view. */
  usage = $state.raw<FilesUsage | null>(null)
  /** Conversations whose whole file list was loaded ('' for every conversation). */
  loaded = $state.raw<ReadonlySet<string>>(new Set())
  /** Uploads under way, by key: aborted by `cancel`. */
  private stoppers = new Map<number, AbortController>()

  constructor() {
    session.onConnected((api) => {
      api.on('files.changed', (f) => { this.byMessage = withEntries(this.byMessage, [[f.messageId, f]]) })
      // A file shared anywhere joins the lists at once, though its transfer has not moved yet.
      api.on('chat.messageAdded', (m) => { if (m.file !== undefined) this.watch(m.id) })
      // A reconnect may have missed progress: what was shown is asked for again.
      const shown = [...this.asked]
      this.asked.clear()
      for (const id of shown) this.watch(id as MessageId)
    })
  }

  /** Starts tracking a file message's transfer (once). */
  watch(messageId: MessageId): void {
    if (this.asked.has(messageId)) return
    this.asked.add(messageId)
    void session.api.call('files.get', { messageId }).then((f) => {
      // An event may have come first with newer progress.
      if (!this.byMessage.has(messageId)) this.byMessage = withEntries(this.byMessage, [[messageId, f]])
    }).catch(() => { this.asked.delete(messageId) })
  }

  /** The files of a conversation, or of every one (null), newest first, as far as they are loaded. */
  listOf(conversationId: ConversationId | null): FileView[] {
    const all = [...this.byMessage.values()]
    return (conversationId === null ? all : all.filter((f) => f.conversationId === conversationId)).sort((a, b) => b.sentAt - a.sentAt)
  }

  /** Loads every file of a conversation (or of all, null) with its transfer state. */
  async load(conversationId: ConversationId | null): Promise<void> {
    const list = await session.api.call('files.list', conversationId === null ? {} : { conversationId })
    for (const f of list) this.asked.add(f.messageId)
    // Entries already here are kept current by events, which may be newer than this answer.
    this.byMessage = withEntries(this.byMessage, list.filter((f) => !this.byMessage.has(f.messageId)).map((f) => [f.messageId, f]))
    this.loaded = new Set([...this.loaded, conversationId ?? ''])
  }

  async loadUsage(): Promise<void> {
    this.usage = await session.api.call('files.usage', {})
  }

  /** Frees a file's room on this device; it can be fetched again from colleagues. */
  async remove(messageId: MessageId): Promise<void> {
    const f = await session.api.call('files.remove', { messageId })
    this.byMessage = withEntries(this.byMessage, [[messageId, f]])
    await this.loadUsage()
  }

  /** Shares a message's file in another conversation, sealed afresh from this device's copy (it must be here whole). */
  async forward(message: MessageView, conversationId: ConversationId, caption: string): Promise<void> {
    await session.api.call('files.forward', { messageId: message.id, conversationId, caption })
  }

  async download(messageId: MessageId): Promise<void> {
    const f = await session.api.call('files.download', { messageId })
    this.byMessage = withEntries(this.byMessage, [[messageId, f]])
  }

  /**
   * Shares files in a conversation, one after another: each is handed to the core in chunks
   * (sealed there as they arrive), then announced. A pasted image without a real name gets one.
   */
  /** `send`, for the shell's gestures (pick, paste, drop): a failure is kept for the composer to show. */
  async share(conversationId: ConversationId, list: readonly File[]): Promise<void> {
    if (list.length === 0) return
    this.failures = withoutKey(this.failures, conversationId)
    try {
      await this.send(conversationId, list)
    } catch (err) {
      if (!(err instanceof Cancelled)) this.failures = withEntries(this.failures, [[conversationId, errorMessage(err)]])
    }
  }

  /** `share` for a drop: folders dropped share every file inside them. */
  async shareDropped(conversationId: ConversationId, data: DataTransfer): Promise<void> {
    this.failures = withoutKey(this.failures, conversationId)
    const list = await droppedFiles(data).catch((err: unknown) => {
      this.failures = withEntries(this.failures, [[conversationId, errorMessage(err)]])
      return []
    })
    await this.share(conversationId, list)
  }

  /** `share` for a picked folder's files: all of them, or none past the most one share takes. */
  async shareFolder(conversationId: ConversationId, list: readonly File[]): Promise<void> {
    if (list.length > MAX_DROPPED_FILES) {
      this.failures = withEntries(this.failures, [[conversationId, `one share takes at most ${MAX_DROPPED_FILES} files`]])
      return
    }
    await this.share(conversationId, list)
  }

  /** Shares the files one after another; a cancelled one is skipped, the rest still go. */
  async send(conversationId: ConversationId, list: readonly File[]): Promise<MessageView[]> {
    const sent: MessageView[] = []
    const uploads = list.map((file) => this.queue(conversationId, file))
    try {
      for (const [i, file] of list.entries()) {
        const upload = uploads[i]
        if (upload === undefined) continue
        try {
          sent.push(await this.sendOne(upload, file))
        } catch (err) {
          if (!(err instanceof Cancelled) || list.length === 1) throw err
        }
      }
    } finally {
      // A failure (the rules, the quota) stops the batch: the files still waiting go with it.
      for (const u of uploads) {
        this.cancel(u.key)
        this.stoppers.delete(u.key)
      }
    }
    return sent
  }

  /** Stops an upload: the core drops what it sealed, and no message is sent. */
  cancel(key: number): void {
    this.stoppers.get(key)?.abort()
    // Its row goes at once, also for a file still waiting its turn behind a long upload.
    this.uploads = this.uploads.filter((u) => u.key !== key)
  }

  /** Shows a file as waiting to go, so a batch can be cancelled one by one before its turn. */
  private queue(conversationId: ConversationId, file: File): Upload {
    const name = file.name === '' || file.name === 'image.png' ? pastedName(file.type) : file.name
    const upload: Upload = { key: nextKey++, conversationId, name, size: file.size, sent: 0 }
    this.uploads = [...this.uploads, upload]
    this.stoppers.set(upload.key, new AbortController())
    return upload
  }

  private async sendOne(upload: Upload, file: File): Promise<MessageView> {
    const api = session.api
    const stopper = this.stoppers.get(upload.key) ?? new AbortController()
    const update = (sent: number): void => { this.uploads = this.uploads.map((u) => (u.key === upload.key ? { ...u, sent } : u)) }
    /** Read after each await: the user may have cancelled meanwhile. */
    const cancelled = (): boolean => stopper.signal.aborted
    let uploadId: string | undefined
    try {
      if (cancelled()) throw new Cancelled()
      // The picture's thumbnail is drawn while its bytes go to the core.
      const look = previewOf(file)
      const started = await api.call('files.startUpload', { name: upload.name, size: file.size, ...(file.type === '' ? {} : { mime: file.type }) })
      uploadId = started.uploadId
      for (let index = 0; index * started.chunkBytes < file.size; index++) {
        const data = await base64Of(file.slice(index * started.chunkBytes, (index + 1) * started.chunkBytes))
        if (cancelled()) throw new Cancelled()
        update((await api.call('files.uploadChunk', { uploadId, index, data })).received)
      }
      const preview = await look
      if (cancelled()) throw new Cancelled()
      return await api.call('files.finishUpload', { uploadId, conversationId: upload.conversationId, ...(preview === undefined ? {} : { preview }) })
    } catch (err) {
      if (uploadId !== undefined) void api.call('files.cancelUpload', { uploadId }).catch(() => undefined)
      throw err
    } finally {
      this.stoppers.delete(upload.key)
      this.uploads = this.uploads.filter((u) => u.key !== upload.key)
    }
  }

  /**
   * A file on this device as a Blob of its type, read from the core chunk by chunk: what the
   * viewer shows. `signal` stops reading (the viewer was closed).
   */
  async read(file: Pick<FileView, 'messageId' | 'size' | 'mime'>, signal: AbortSignal): Promise<Blob> {
    const parts: Uint8Array<ArrayBuffer>[] = []
    for (let index = 0, got = 0; got < file.size; index++) {
      if (signal.aborted) throw new Cancelled()
      const { data } = await session.api.call('files.readChunk', { messageId: file.messageId, index })
      const bytes = bytesOf(data)
      if (bytes.byteLength === 0) throw new Error('the file ended early')
      parts.push(bytes)
      got += bytes.byteLength
    }
    return new Blob(parts, { type: file.mime })
  }

  /**
   * Saves a file (fetching it first if needed). In a browser: a one-use link from the core,
   * opened as a download (the file must be here). In the desktop app: main shows the system's
   * save dialog and the core writes the file there; the page never sees a path.
   */
  async save(messageId: MessageId, name: string): Promise<void> {
    if (location.protocol !== 'http:' && location.protocol !== 'https:') {
      await session.api.call('shell.saveFile', { messageId })
      return
    }
    const { path } = await session.api.call('files.downloadLink', { messageId })
    const link = document.createElement('a')
    link.href = path
    link.download = name
    link.click()
  }

  async pause(messageId: MessageId): Promise<void> {
    const f = await session.api.call('files.pause', { messageId })
    this.byMessage = withEntries(this.byMessage, [[messageId, f]])
  }
}

export const files = new FilesState()

/** "Screenshot 2026-12-05 10.15.42.png": a pasted image is named by when it was pasted. */
function pastedName(type: string): string {
  const now = new Date()
  const pad = (n: number): string => String(n).padStart(2, '0')
  const ext = type === 'image/jpeg' ? 'jpg' : type.startsWith('image/') ? type.slice(6).replace('svg+xml', 'svg') : 'bin'
  return `Screenshot ${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}.${pad(now.getMinutes())}.${pad(now.getSeconds())}.${ext}`
}
