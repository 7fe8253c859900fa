import { settings } from './settings.svelte'
import { messages } from './messages.svelte'
import { navigation } from './navigation.svelte'
import { personName } from './channel-people'
import { t } from '../i18n/i18n.svelte'
import { withEntries, withoutKey } from './readonly-collections'
import { session } from './session.svelte'
import { workspaces } from './workspaces.svelte'
import { peers } from './peers.svelte'
import type { ConversationId, ConversationView, MessageId, NotifyLevel, PeerIdString, PeerView, Presence } from '../../src/api/contract'

const collator = new Intl.Collator('zh-CN')
/** The conversation this window showed last (per window: two tabs may show two conversations). */
const OPEN_KEY = 'enclave.openConversation'

/** The conversation list, unread counts and which conversation is open. */
class ConversationsState {
  byId = $state.raw<ReadonlyMap<string, ConversationView>>(new Map())
  selectedId = $state<ConversationId | null>(null)
  /** Whether the sidebar shows the selected workspace's archived channels. */
  showArchived = $state(false)
  /** Newest activity first; empty conversations last. */
  list = $derived([...this.byId.values()].sort((a, b) => (b.lastMessage?.order ?? '').localeCompare(a.lastMessage?.order ?? '')))
  /** Direct conversations, newest activity first. */
  direct = $derived(this.list.filter((c) => c.kind === 'dm'))
  /** The selected workspace's channels by name. */
  private channels = $derived(this.list
    .filter((c) => c.kind === 'channel' && c.workspaceId !== null && c.workspaceId === workspaces.selected?.id)
    .sort((a, b) => collator.compare(a.name ?? '', b.name ?? '') || a.id.localeCompare(b.id)))
  activeChannels = $derived(this.channels.filter((c) => !c.archived))
  archivedChannels = $derived(this.channels.filter((c) => c.archived))
  /** What Alt+↑/↓ and the sidebar's arrow keys walk, in the sidebar's order. */
  order = $derived([...this.activeChannels, ...(this.showArchived ? this.archivedChannels : []), ...this.direct])
  selected = $derived(this.selectedId === null ? null : this.byId.get(this.selectedId) ?? null)
  totalUnread = $derived([...this.byId.values()].reduce((n, c) => n + c.unread, 0))

  constructor() {
    session.onConnected((api) => {
      api.on('conversations.changed', (c) => { this.upsert(c) })
      api.on('shell.linkOpened', (target) => {
        if (target.kind === 'conversation') this.select(target.conversationId)
        else if (target.kind === 'message') void this.openMessage(target.messageId)
        else void this.openWith(target.peerId)
      })
      void api.call('conversations.list', {}).then((list) => {
        this.byId = new Map(list.map((c) => [c.id, c]))
        // A reloaded tab opens what it showed before; a reconnected one still shows it.
        const last = sessionStorage.getItem(OPEN_KEY) ?? localStorage.getItem(OPEN_KEY)
        if (this.selectedId === null && last !== null) {
          const found = list.find((c) => c.id === last)
          if (found !== undefined) this.select(found.id)
        }
      })
    })
  }

  upsert(c: ConversationView): void {
    if (c.movedTo !== null) {
      // An old DM between two devices moved into the DM with the person: that one shows instead.
      this.byId = withoutKey(this.byId, c.id)
      if (this.selectedId === c.id) this.select(c.movedTo)
      return
    }
    this.byId = withEntries(this.byId, [[c.id, c]])
    // Whatever arrives in the conversation the user is looking at is read (not while another
    // view, Mentions or Files, covers it: ConversationView marks it read when it shows again).
    if (c.id === this.selectedId && c.unread > 0 && document.visibilityState === 'visible' && navigation.view === 'chats' && navigation.docId === null) this.markRead(c.id)
  }

  /** Mutes (only mentions notify and count) or unmutes a conversation on this device. */
  async notify(id: ConversationId, level: NotifyLevel): Promise<void> {
    this.upsert(await session.api.call('conversations.mute', { conversationId: id, level }))
  }

  /** Opens a message in its conversation (a link to it): the list scrolls to it and marks it. */
  async openMessage(id: MessageId): Promise<void> {
    try {
      const { message } = await session.api.call('chat.messageInfo', { messageId: id })
      this.select(message.conversationId)
      messages.requestJump(message)
    } catch {
      // A message not on this device (not a member there, or recalled and gone): nothing to show.
    }
  }

  /** Shows a conversation, switching the main area to chats (from the directory, a link, a key). */
  select(id: ConversationId | null): void {
    this.selectedId = id
    if (id === null) return
    sessionStorage.setItem(OPEN_KEY, id)
    localStorage.setItem(OPEN_KEY, id)
    // An archived channel opened from a link or a key stays visible in the sidebar.
    if (this.byId.get(id)?.archived === true) this.showArchived = true
    navigation.show('chats')
    this.markRead(id)
  }

  /** Opens (creating if needed) the direct conversation with a person. */
  async openWith(peerId: PeerIdString): Promise<void> {
    const c = await session.api.call('conversations.open', { peerId })
    this.upsert(c)
    this.select(c.id)
  }

  /** Selects the conversation `step` places away in the sidebar (keyboard navigation). */
  move(step: number): void {
    if (this.order.length === 0) return
    const at = this.order.findIndex((c) => c.id === this.selectedId)
    const next = this.order[Math.min(this.order.length - 1, Math.max(0, at < 0 ? 0 : at + step))]
    if (next !== undefined) this.select(next.id)
  }

  private marking = new Set<string>()

  markRead(id: ConversationId): void {
    const c = this.byId.get(id)
    if (c === undefined || c.unread === 0 || this.marking.has(id)) return
    this.marking.add(id)
    void session.api.call('chat.markRead', { conversationId: id, receipt: settings.readReceipts })
      .then((updated) => { this.marking.delete(id); this.upsert(updated) }, () => { this.marking.delete(id) })
  }
}

/**
 * The device of a DM's other person whose presence and path it shows: a DM is with every device
 * of theirs, so a connected one (with the best presence) before the one it names.
 */
export function dmDevice(c: ConversationView): PeerView | undefined {
  if (c.peerId === null) return undefined
  const devices = workspaces.membersByDevice.get(c.peerId)?.devices ?? [c.peerId]
  const connected = devices.flatMap((d) => { const p = peers.byId.get(d); return p?.connected === true ? [p] : [] })
  return connected.sort((a, b) => PRESENCE_RANK[a.presence] - PRESENCE_RANK[b.presence])[0] ?? peers.byId.get(c.peerId)
}
const PRESENCE_RANK: Record<Presence, number> = { online: 0, dnd: 1, away: 2, offline: 3 }

/** The other person's name in a direct conversation: their workspace name first. */
export function peerNameOf(c: ConversationView): string {
  return c.peerId === null ? t('people.unknownDevice') : personName(c.peerId)
}

/** How a conversation is called in headings and labels: the person, or `#channel`. */
export function titleOf(c: ConversationView): string {
  return c.kind === 'channel' ? `#${c.name ?? ''}` : peerNameOf(c)
}

export const conversations = new ConversationsState()
