import { withEntries, withoutKey } from './readonly-collections'
import { errorCode, session } from './session.svelte'
import type { ApiClient } from '../../src/api/api-client'
import type { ConversationId } from '../../src/api/contract'

/** Typing settles this long before the draft goes to the core. */
const SAVE_MS = 300
/** Text typed here that the core has not confirmed yet (this tab only; it survives a reload while the node is down). */
const PENDING_KEY = 'enclave.pendingDrafts'
/** Where drafts lived before the core kept them: moved to the core once, then removed. */
const LEGACY_KEY = 'enclave.drafts'

/**
 * Unsent text per conversation. The core keeps drafts (sealed in its store): they survive a
 * restart of the node or of this window and show in every other window or tab of this device.
 * What is typed while the core is away waits in `pending` and goes to it on reconnect.
 */
class DraftsState {
  private drafts = $state.raw<ReadonlyMap<ConversationId, string>>(new Map())
  private readonly pending: Map<ConversationId, string>
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor() {
    this.pending = new Map([...readMap(localStorage, LEGACY_KEY), ...readMap(sessionStorage, PENDING_KEY)])
    this.drafts = new Map(this.pending)
    session.onConnected((api) => {
      api.on('drafts.changed', (d) => {
        // Another window's change; one still being typed here wins until it is saved.
        if (!this.pending.has(d.conversationId)) this.show(d.conversationId, d.text)
      })
      void this.sync(api)
    })
    // A closing tab sends what it has; the socket is still open during pagehide.
    window.addEventListener('pagehide', () => { void this.flush() })
  }

  get(conversationId: ConversationId): string {
    return this.drafts.get(conversationId) ?? ''
  }

  set(conversationId: ConversationId, text: string): void {
    this.show(conversationId, text)
    this.pending.set(conversationId, text)
    this.savePending()
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.flush() }, SAVE_MS)
  }

  private show(conversationId: ConversationId, text: string): void {
    this.drafts = text.length === 0 ? withoutKey(this.drafts, conversationId) : withEntries(this.drafts, [[conversationId, text]])
  }

  /** Sends every unsaved draft; what fails (the core went away) stays pending for the next connection. */
  private async flush(): Promise<void> {
    clearTimeout(this.timer)
    if (session.status !== 'connected') return
    for (const [conversationId, text] of [...this.pending]) {
      try {
        await session.api.call('drafts.set', { conversationId, text })
      } catch (err) {
        // A draft the core refuses (a damaged entry in this tab's storage) must not hold up the rest.
        if (errorCode(err) !== 'bad-request') return
      }
      if (this.pending.get(conversationId) === text) this.pending.delete(conversationId)
    }
    this.savePending()
    localStorage.removeItem(LEGACY_KEY)
  }

  /** On (re)connecting: send what was typed meanwhile, then take the core's drafts for the rest. */
  private async sync(api: ApiClient): Promise<void> {
    await this.flush()
    const kept = await api.call('drafts.list', {}).catch(() => null)
    if (kept === null) return
    const mine = kept.filter((d) => !this.pending.has(d.conversationId)).map((d): [ConversationId, string] => [d.conversationId, d.text])
    this.drafts = new Map([...mine, ...this.pending].filter(([, text]) => text.length > 0))
  }

  private savePending(): void {
    if (this.pending.size === 0) sessionStorage.removeItem(PENDING_KEY)
    else sessionStorage.setItem(PENDING_KEY, JSON.stringify(Object.fromEntries(this.pending)))
  }
}

/** Drafts a tab kept itself; their ids are checked by the core when they are sent. */
function readMap(storage: Storage, key: string): Map<ConversationId, string> {
  try {
    const value = JSON.parse(storage.getItem(key) ?? '{}') as unknown
    if (typeof value !== 'object' || value === null) return new Map()
    return new Map(Object.entries(value).filter((e): e is [ConversationId, string] => typeof e[1] === 'string'))
  } catch {
    return new Map()
  }
}

export const drafts = new DraftsState()
