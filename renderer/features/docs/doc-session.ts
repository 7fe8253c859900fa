import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { fromBase64, toBase64 } from 'lib0/buffer'
import type { ApiClient } from '../../../src/api/api-client'
import type { DocId, DocView } from '../../../src/api/contract'

/** Transaction origin of updates that came from the core; never sent back, never undone. */
export const REMOTE_ORIGIN = Symbol('remote')

/** Local updates made within this window are merged into one API call (a stroke, a burst of typing). */
const SEND_EVERY_MS = 30
/** After a failed send, the whole state is sent again this soon (and with the next edit). */
const RETRY_MS = 3_000

/** Who this window shows as to others in the doc (cursor label and colour). */
export interface DocUser {
  name: string
  color: string
}

/**
 * One open doc in this window: a Yjs replica fed by the core. Editors bind to `doc` and
 * `awareness`; local transactions go to the core, which stores, seals and sends them to the
 * doc's members. Failed sends surface through `onError`, never silently.
 */
export interface DocSession {
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly view: DocView
  onChanged(listener: (view: DocView) => void): () => void
  onError(listener: (error: Error) => void): () => void
  close(): void
}

export async function openDocSession(api: ApiClient, docId: DocId, user: DocUser): Promise<DocSession> {
  const opened = await api.call('docs.open', { docId })
  const doc = new Y.Doc()
  Y.applyUpdate(doc, fromBase64(opened.state), REMOTE_ORIGIN)
  const awareness = new Awareness(doc)
  awareness.setLocalStateField('user', user)
  let view = opened.doc
  const changed = new Set<(view: DocView) => void>()
  const errors = new Set<(error: Error) => void>()
  const report = (err: unknown): void => { for (const l of errors) l(err instanceof Error ? err : new Error(String(err))) }

  let queued: Uint8Array[] = []
  let timer: ReturnType<typeof setTimeout> | null = null
  /** A send failed: later updates may depend on it, so the next send carries the whole state. */
  let resendAll = false
  const flush = (): void => {
    timer = null
    if (queued.length === 0 && !resendAll) return
    const update = resendAll ? Y.encodeStateAsUpdate(doc) : queued.length === 1 ? queued[0] as Uint8Array : Y.mergeUpdates(queued)
    queued = []
    resendAll = false
    api.call('docs.update', { docId, update: toBase64(update) }).catch((err: unknown) => {
      report(err)
      // Nothing typed is lost: the whole state goes again shortly (the core keeps what it has).
      resendAll = true
      timer ??= setTimeout(flush, RETRY_MS)
    })
  }
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REMOTE_ORIGIN) return
    queued.push(update)
    timer ??= setTimeout(flush, SEND_EVERY_MS)
  }
  doc.on('update', onUpdate)

  const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    if (origin === REMOTE_ORIGIN) return
    const ids = [...added, ...updated, ...removed].filter((id) => id === doc.clientID)
    if (ids.length === 0) return
    api.call('docs.awareness', { docId, update: toBase64(encodeAwarenessUpdate(awareness, ids)) }).catch(report)
  }
  awareness.on('update', onAwareness)

  const unsubscribe = [
    api.on('docs.updated', (event) => {
      if (event.docId === docId) Y.applyUpdate(doc, fromBase64(event.update), REMOTE_ORIGIN)
    }),
    api.on('docs.awareness', (event) => {
      if (event.docId === docId) applyAwarenessUpdate(awareness, fromBase64(event.update), REMOTE_ORIGIN)
    }),
    api.on('docs.changed', (next) => {
      if (next.id !== docId) return
      view = next
      for (const l of changed) l(next)
    })
  ]
  // Others learn at once that this window's cursor is gone, not after awareness's 30 s timeout.
  const closeOnUnload = (): void => { removeAwarenessStates(awareness, [doc.clientID], 'unload') }
  if (typeof window !== 'undefined') window.addEventListener('beforeunload', closeOnUnload)

  return {
    doc,
    awareness,
    get view () { return view },
    onChanged: (listener) => { changed.add(listener); return () => { changed.delete(listener) } },
    onError: (listener) => { errors.add(listener); return () => { errors.delete(listener) } },
    close: () => {
      if (timer !== null) { clearTimeout(timer); timer = null; flush() }
      removeAwarenessStates(awareness, [doc.clientID], 'close')
      for (const u of unsubscribe) u()
      if (typeof window !== 'undefined') window.removeEventListener('beforeunload', closeOnUnload)
      doc.off('update', onUpdate)
      awareness.off('update', onAwareness)
      awareness.destroy()
      doc.destroy()
    }
  }
}
