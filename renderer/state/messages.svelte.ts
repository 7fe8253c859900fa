import { session } from './session.svelte'
import type { ConversationId, MessageId, MessageInfo, MessageView, PeerIdString } from '../../src/api/contract'

/** Characters of a quoted message the core sends with a reply (message-actions.ts). */
const QUOTE_CHARS = 200

/** Messages fetched per page when opening a conversation or scrolling back. */
const PAGE = 100

/** The loaded part of one conversation, oldest first. Older pages load as the user scrolls up. */
export class Timeline {
  items = $state.raw<readonly MessageView[]>([])
  loading = $state(false)
  reachedStart = $state(false)
  /** False while a stretch of history is shown (a search hit opened in context): newer pages load as the user scrolls down. */
  reachedEnd = $state(true)
  /** Set while older messages are being prepended, so the list keeps its scroll position. */
  prepending = $state(false)
  /**
   * Counts the times the stretch shown was replaced (a hit opened in context, back to the
   * newest): a page asked for before that belongs to the old stretch and is dropped. Seen: the
   * first page of a conversation opened by a search hit arrived after the hit's stretch and was
   * put in front of it, and the list showed the newest messages instead of the hit.
   */
  stretch = 0

  constructor (readonly conversationId: ConversationId) {}

  /** A member read up to the clock `upTo`: this device's messages at or before it are read by them. */
  readBy(by: PeerIdString, upTo: string): void {
    const items = this.items
    const next = items.map((m) => (!m.mine || m.order.slice(0, CLOCK_DIGITS) > upTo || m.readBy?.includes(by) === true ? m : { ...m, readBy: [...m.readBy ?? [], by] }))
    if (next.some((m, i) => m !== items[i])) this.items = next
  }

  /** Inserts or replaces one message, keeping the order the core sorts by. */
  apply(view: MessageView): void {
    const items = this.items
    const at = items.findLastIndex((m) => m.id === view.id)
    if (at >= 0) {
      const old = items[at]
      // A late `sent` must not overwrite `delivered`.
      if (old !== undefined && old.state === 'delivered' && view.state === 'sent') return
      const next = items.slice()
      next[at] = view
      // Replies quote the message as it is now: an edit or a recall shows in their quotes too.
      if (old !== undefined && (old.text !== view.text || old.recalled !== view.recalled)) {
        next.forEach((m, i) => {
          if (m.replyTo?.id !== view.id || m.replyTo.text === null) return
          next[i] = { ...m, replyTo: { ...m.replyTo, text: view.recalled === undefined ? view.text.slice(0, QUOTE_CHARS) : '', recalled: view.recalled !== undefined } }
        })
      }
      this.items = next
      return
    }
    // Past the stretch shown: it comes with the newer pages.
    if (!this.reachedEnd && view.order > (items.at(-1)?.order ?? '')) return
    let i = items.length
    while (i > 0 && (items[i - 1]?.order ?? '') > view.order) i--
    this.items = [...items.slice(0, i), view, ...items.slice(i)]
  }
}

/** Digits of the clock an order key starts with: what a read mark (`chat.readChanged`) compares. */
const CLOCK_DIGITS = 17

/** A message's thread: the message itself and its replies, oldest first. */
export class Thread extends Timeline {
  root = $state.raw<MessageView | null>(null)

  setRoot(view: MessageView): void {
    this.root = view
  }
}

class MessagesState {
  private readonly timelines = new Map<string, Timeline>()
  /** Threads opened in this window, by their first message. */
  private readonly threads = new Map<string, Thread>()
  /** A message someone asked to see (a pin, a link): the open conversation's list scrolls to it. */
  jumpRequest = $state.raw<MessageView | null>(null)

  requestJump(view: MessageView): void {
    this.jumpRequest = view
  }

  constructor() {
    session.onConnected((api) => {
      // A reconnect may have missed events: drop what is cached and reload on demand.
      this.timelines.clear()
      this.threads.clear()
      const route = (view: MessageView): void => { this.place(view) }
      api.on('chat.messageAdded', route)
      api.on('chat.messageUpdated', route)
      api.on('chat.readChanged', ({ conversationId, by, upTo }) => { this.timelines.get(conversationId)?.readBy(by, upTo) })
      // Older messages came from another device of this person: a list that had reached its start goes on.
      api.on('chat.historyImported', ({ conversationId }) => {
        const tl = this.timelines.get(conversationId)
        if (tl === undefined || !tl.reachedStart) return
        tl.reachedStart = false
        void this.loadOlder(tl)
      })
    })
  }

  /** The timeline of a conversation; the first call loads its newest page. */
  timeline(conversationId: ConversationId): Timeline {
    let tl = this.timelines.get(conversationId)
    if (tl === undefined) {
      tl = new Timeline(conversationId)
      this.timelines.set(conversationId, tl)
      void this.loadOlder(tl)
    }
    return tl
  }

  async loadOlder(tl: Timeline): Promise<void> {
    if (tl.loading || tl.reachedStart) return
    tl.loading = true
    const stretch = tl.stretch
    try {
      const before = tl.items[0]?.order
      const page = await session.api.call('chat.history', { conversationId: tl.conversationId, limit: PAGE, ...(before === undefined ? {} : { before }) })
      if (stretch !== tl.stretch) return
      if (page.length < PAGE) tl.reachedStart = true
      if (page.length > 0) {
        tl.prepending = before !== undefined
        const known = new Set(tl.items.map((m) => m.id))
        tl.items = [...page.filter((m) => !known.has(m.id)), ...tl.items]
      }
    } catch {
      // The node is away (reconnecting): the page stays as it is, and scrolling asks again.
    } finally {
      if (stretch === tl.stretch) tl.loading = false
    }
  }

  /**
   * Shows a message wherever it is loaded: a thread's reply in its thread (when open), not in
   * the conversation unless also sent there; a thread's first message in both.
   */
  private place(view: MessageView): void {
    if (view.threadOf !== undefined) this.threads.get(view.threadOf)?.apply(view)
    if (view.threadOf === undefined || view.echo === true) this.timelines.get(view.conversationId)?.apply(view)
    this.threads.get(view.id)?.setRoot(view)
  }

  /** A message's thread; the first call loads it. */
  thread(root: MessageView): Thread {
    let th = this.threads.get(root.id)
    if (th === undefined) {
      const made = new Thread(root.conversationId)
      made.root = root
      this.threads.set(root.id, made)
      made.loading = true
      session.api.call('chat.thread', { messageId: root.id }).then(({ root: fresh, replies }) => {
        made.root = fresh
        made.items = replies
        made.reachedStart = true
      }, () => undefined).finally(() => { made.loading = false })
      th = made
    }
    return th
  }

  /** Loads the next newer page of a stretch of history shown in context. */
  async loadNewer(tl: Timeline): Promise<void> {
    const after = tl.items.at(-1)?.order
    if (tl.loading || tl.reachedEnd || after === undefined) return
    tl.loading = true
    const stretch = tl.stretch
    try {
      const page = await session.api.call('chat.history', { conversationId: tl.conversationId, limit: PAGE, after })
      if (stretch !== tl.stretch) return
      if (page.length < PAGE) tl.reachedEnd = true
      const known = new Set(tl.items.map((m) => m.id))
      tl.items = [...tl.items, ...page.filter((m) => !known.has(m.id))]
    } catch {
      // Away (reconnecting): scrolling asks again.
    } finally {
      if (stretch === tl.stretch) tl.loading = false
    }
  }

  /**
   * Makes `view` part of the timeline: already there, or one older page away; else the timeline
   * becomes the stretch of history around it (half a page each side), however far back it is.
   */
  async reveal(tl: Timeline, view: MessageView): Promise<boolean> {
    if (tl.items.some((m) => m.id === view.id)) return true
    const oldest = tl.items[0]?.order
    if (!tl.reachedStart && oldest !== undefined && oldest > view.order && tl.items.length > 0) {
      await this.loadOlder(tl)
      if (tl.items.some((m) => m.id === view.id)) return true
    }
    const half = PAGE / 2
    const conversationId = tl.conversationId
    const stretch = ++tl.stretch
    tl.loading = false
    const [older, newer] = await Promise.all([
      session.api.call('chat.history', { conversationId, limit: half, before: `${view.order}~` }),
      session.api.call('chat.history', { conversationId, limit: half, after: view.order })
    ])
    // Another jump (or back to the newest) came meanwhile: it decides what is shown.
    if (stretch !== tl.stretch) return false
    tl.items = [...older, ...newer]
    tl.reachedStart = older.length < half
    tl.reachedEnd = newer.length < half
    return tl.items.some((m) => m.id === view.id)
  }

  /** Back from a stretch of history to the newest messages. */
  async toLatest(tl: Timeline): Promise<void> {
    if (tl.reachedEnd) return
    tl.stretch++
    tl.items = []
    tl.loading = false
    tl.reachedStart = false
    tl.reachedEnd = true
    await this.loadOlder(tl)
  }

  async send(conversationId: ConversationId, text: string, extra: { replyTo?: MessageId; mentions?: PeerIdString[]; mentionAll?: boolean; threadOf?: MessageId; echo?: boolean } = {}): Promise<void> {
    this.place(await session.api.call('chat.send', { conversationId, text, ...extra }))
  }

  /** Runs a message action and shows its result at once (the event that follows changes nothing more). */
  private async act(promise: Promise<MessageView>): Promise<void> {
    this.place(await promise)
  }

  react(view: MessageView, emoji: string, on: boolean): Promise<void> {
    return this.act(session.api.call('chat.react', { messageId: view.id, emoji, on }))
  }

  edit(view: MessageView, text: string): Promise<void> {
    return this.act(session.api.call('chat.edit', { messageId: view.id, text }))
  }

  recall(view: MessageView): Promise<void> {
    return this.act(session.api.call('chat.recall', { messageId: view.id }))
  }

  pin(view: MessageView, on: boolean): Promise<void> {
    return this.act(session.api.call('chat.pin', { messageId: view.id, on }))
  }

  /** An `enclave://` link clicked in the app: the core checks it and every window opens it. */
  async openLink(url: string): Promise<void> {
    await session.api.call('shell.openLink', { url })
  }

  /** Bumped when this window saves or unsaves a message: the Saved view fetches again. */
  savedChanges = $state(0)

  async save(view: MessageView, on: boolean): Promise<void> {
    await this.act(session.api.call('chat.save', { messageId: view.id, saved: on }))
    this.savedChanges++
  }

  /** Messages saved for later, most recently saved first. */
  saved(): Promise<MessageView[]> {
    return session.api.call('chat.saved', { limit: 200 })
  }

  /** Messages that mention this device, every conversation, newest first. */
  mentions(): Promise<MessageView[]> {
    return session.api.call('chat.mentions', { limit: 100 })
  }

  pins(conversationId: ConversationId): Promise<MessageView[]> {
    return session.api.call('chat.pins', { conversationId })
  }

  /** Each recipient device of one of this device's messages, with its delivery state. */
  info(messageId: MessageId): Promise<MessageInfo> {
    return session.api.call('chat.messageInfo', { messageId })
  }

  async retry(view: MessageView): Promise<void> {
    const updated = await session.api.call('chat.retry', { messageId: view.id })
    this.place(updated)
  }
}

export const messages = new MessagesState()
