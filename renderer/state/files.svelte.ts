import { session } from './session.svelte'
import { withEntries, withoutKey } from './readonly-collections'
import { errorMessage } from './errors'
import type { ConversationId, FileView, MessageId, MessageView } from '../../src/api/contract'

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

  constructor() {
    session.onConnected((api) => {
      api.on('files.changed', (f) => { this.byMessage = withEntries(this.byMessage, [[f.messageId, f]]) })
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
      this.failures = withEntries(this.failures, [[conversationId, errorMessage(err)]])
    }
  }

  async send(conversationId: ConversationId, list: readonly File[]): Promise<MessageView[]> {
    const sent: MessageView[] = []
    for (const file of list) sent.push(await this.sendOne(conversationId, file))
    return sent
  }

  private async sendOne(conversationId: ConversationId, file: File): Promise<MessageView> {
    const api = session.api
    const name = file.name === '' || file.name === 'image.png' ? pastedName(file.type) : file.name
    const upload: Upload = { key: nextKey++, conversationId, name, size: file.size, sent: 0 }
    this.uploads = [...this.uploads, upload]
    const update = (sent: number): void => { this.uploads = this.uploads.map((u) => (u.key === upload.key ? { ...u, sent } : u)) }
    const { uploadId, chunkBytes } = await api.call('files.startUpload', { name, size: file.size, ...(file.type === '' ? {} : { mime: file.type }) })
    try {
      for (let index = 0; index * chunkBytes < file.size; index++) {
        const data = await base64Of(file.slice(index * chunkBytes, (index + 1) * chunkBytes))
        update((await api.call('files.uploadChunk', { uploadId, index, data })).received)
      }
      return await api.call('files.finishUpload', { uploadId, conversationId })
    } catch (err) {
      void api.call('files.cancelUpload', { uploadId }).catch(() => undefined)
      throw err
    } finally {
      this.uploads = this.uploads.filter((u) => u.key !== upload.key)
    }
  }

  /** The browser shell serves downloads on its own origin; the desktop app saves through its own dialog (not built yet). */
  readonly canSave = location.protocol === 'http:' || location.protocol === 'https:'

  /** Saves a file that is on this device: a one-use link from the core, opened as a download. */
  async save(messageId: MessageId, name: string): Promise<void> {
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
