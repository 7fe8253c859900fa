import { openDocSession, type DocSession, type DocUser } from './doc-session'
import { personName } from '../../state/channel-people'
import { docs } from '../../state/docs.svelte'
import { errorMessage } from '../../state/errors'
import { session } from '../../state/session.svelte'
import { userColor } from '../../ui/user-color'
import type { DocId, DocView } from '../../../src/api/contract'

/** How this user shows in shared docs: their name, and their avatar's colour. */
export function docUser(): DocUser {
  const peerId = session.info?.peerId
  return { name: session.profile?.displayName ?? (peerId === undefined ? '' : personName(peerId)), color: userColor(peerId ?? '') }
}

/**
 * One doc open in the main area: its session once the core has handed over the state, the
 * latest view (title, sync state), and every failure in words — opening, or a change the core
 * did not take. Nothing fails silently.
 */
export class OpenDoc {
  docSession = $state.raw<DocSession | null>(null)
  view = $state.raw<DocView | null>(null)
  openError = $state('')
  sendError = $state('')
  private closed = false
  private readonly stops: Array<() => void> = []

  constructor (docId: DocId) {
    void this.open(docId)
  }

  private async open(docId: DocId): Promise<void> {
    let opened: DocSession
    try {
      opened = await openDocSession(session.api, docId, docUser())
    } catch (err) {
      if (!this.closed) this.openError = errorMessage(err)
      return
    }
    // Closed (the user moved on) while the core was still answering.
    if (this.closed) { opened.close(); return }
    this.docSession = opened
    this.view = opened.view
    docs.upsert(opened.view)
    this.stops.push(
      opened.onChanged((view) => { this.view = view }),
      opened.onError((err) => { this.sendError = errorMessage(err) })
    )
  }

  dismissSendError(): void {
    this.sendError = ''
  }

  close(): void {
    this.closed = true
    for (const stop of this.stops) stop()
    this.docSession?.close()
  }
}
