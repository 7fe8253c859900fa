import { session } from './session.svelte'
import { withEntries } from './readonly-collections'
import type { FileView, MessageId } from '../../src/api/contract'

/**
 * Transfers of the file messages this window showed, by message id: loaded when a file message
 * is first shown, then kept current by `files.changed` (progress, state, errors).
 */
class FilesState {
  byMessage = $state.raw<ReadonlyMap<string, FileView>>(new Map())
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

  async pause(messageId: MessageId): Promise<void> {
    const f = await session.api.call('files.pause', { messageId })
    this.byMessage = withEntries(this.byMessage, [[messageId, f]])
  }
}

export const files = new FilesState()
