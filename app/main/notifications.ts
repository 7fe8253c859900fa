import { messageOf, type ShellLog } from './shell-log.js'
import { inQuietHours } from './quiet-hours.js'
import type { CallView, ConversationId, ConversationView, MessageView, PeerIdString, ProfileView } from '../../src/api/contract.js'
import type { ApiClient } from '../../src/api/api-client.js'

/** What the notifier needs of Electron's Notification. */
export interface ShownNotification {
  on(event: 'click' | 'close', listener: () => void): unknown
  show(): void
  close(): void
}

export interface MessageNotifierComponents {
  api: Pick<ApiClient, 'call' | 'on'>
  isWindowFocused: () => boolean
  /** `(content) => new Notification(content)` in the app. */
  createNotification: (content: { title: string; body: string }) => ShownNotification
  /** Focuses the window and opens the conversation (via `shell.openLink`). */
  openConversation: (conversationId: ConversationId) => void
  log: ShellLog
  /** The time now (tests move it). @default () => new Date() */
  now?: () => Date
}

export interface MessageNotifierInit {
  /** One notification per conversation at most this often: a peer coming back online may deliver hundreds at once. @default 3 s */
  minIntervalMs?: number
  /** @default 200 characters */
  maxBodyLength?: number
}

export interface MessageNotifier {
  /** Reloads peers' display names for titles, which conversations are muted and do-not-disturb; call whenever a core (re)started. */
  refresh(): Promise<void>
}

function shortPeerId(peerId: PeerIdString): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-4)}` : peerId
}

/** OS notifications for messages from others, and calls ringing, while the window is not focused. */
export function createMessageNotifier(components: MessageNotifierComponents, init: MessageNotifierInit = {}): MessageNotifier {
  const { api, isWindowFocused, createNotification, openConversation, log } = components
  const minIntervalMs = init.minIntervalMs ?? 3_000
  const maxBodyLength = init.maxBodyLength ?? 200
  const names = new Map<PeerIdString, string>()
  const lastShownAt = new Map<ConversationId, number>()
  // Electron drops a notification's click handler once the object is garbage-collected: keep
  // every visible one referenced, one per conversation (a newer one replaces it).
  const visible = new Map<ConversationId, ShownNotification>()

  /** Conversations muted on this device: only mentions notify there, or (`silent`) nothing. */
  const muted = new Set<ConversationId>()
  const silent = new Set<ConversationId>()
  /** Do not disturb (chosen as presence, or the quiet hours now): nothing notifies, mentions neither. */
  let profile: Pick<ProfileView, 'presence' | 'quietHours'> | null = null
  const now = components.now ?? ((): Date => new Date())
  const quiet = (): boolean => profile !== null && (profile.presence === 'dnd' || (profile.quietHours !== null && inQuietHours(profile.quietHours, now())))

  const notify = (message: MessageView): void => {
    if (message.mine || isWindowFocused() || quiet()) return
    if (silent.has(message.conversationId) || (muted.has(message.conversationId) && message.mentionsMe !== true)) return
    const now = Date.now()
    const last = lastShownAt.get(message.conversationId)
    // A mention is always shown: it is addressed to this person, not one more of a burst.
    if (message.mentionsMe !== true && last !== undefined && now - last < minIntervalMs) return
    lastShownAt.set(message.conversationId, now)

    const body = message.text.length > maxBodyLength ? `${message.text.slice(0, maxBodyLength - 1)}…` : message.text
    const notification = createNotification({ title: names.get(message.author) ?? shortPeerId(message.author), body })
    visible.get(message.conversationId)?.close()
    visible.set(message.conversationId, notification)
    const forget = (): void => {
      if (visible.get(message.conversationId) === notification) visible.delete(message.conversationId)
    }
    notification.on('click', () => {
      forget()
      openConversation(message.conversationId)
    })
    notification.on('close', forget)
    notification.show()
  }

  api.on('chat.messageAdded', notify)

  // A call ringing while the window is in the background: shown until it stops ringing (answered
  // here or on another device, declined, missed). Muted conversations ring too; "nothing" does not.
  const ringing = new Map<CallView['id'], ShownNotification>()
  api.on('calls.changed', (call) => {
    const shown = ringing.get(call.id)
    if (call.state !== 'ringing') {
      ringing.delete(call.id)
      shown?.close()
      return
    }
    if (shown !== undefined || isWindowFocused() || quiet() || silent.has(call.conversationId)) return
    const notification = createNotification({ title: names.get(call.startedBy) ?? shortPeerId(call.startedBy), body: call.video ? 'Incoming video call' : 'Incoming call' })
    ringing.set(call.id, notification)
    notification.on('click', () => {
      ringing.delete(call.id)
      openConversation(call.conversationId)
    })
    notification.on('close', () => { if (ringing.get(call.id) === notification) ringing.delete(call.id) })
    notification.show()
  })
  const follow = (c: Pick<ConversationView, 'id' | 'muted' | 'notify'>): void => {
    if (c.muted) muted.add(c.id)
    else muted.delete(c.id)
    if (c.notify === 'nothing') silent.add(c.id)
    else silent.delete(c.id)
  }
  api.on('conversations.changed', follow)
  api.on('profile.changed', (p) => { profile = p })
  api.on('peers.changed', (peer) => {
    if (peer.displayName === null) names.delete(peer.peerId)
    else names.set(peer.peerId, peer.displayName)
  })

  return {
    refresh: async () => {
      try {
        const [peers, conversations, own] = await Promise.all([api.call('peers.list', {}), api.call('conversations.list', {}), api.call('profile.get', {})])
        profile = own
        names.clear()
        for (const peer of peers) if (peer.displayName !== null) names.set(peer.peerId, peer.displayName)
        muted.clear()
        silent.clear()
        for (const c of conversations) follow(c)
      } catch (err) {
        log.warn('could not load peer names for notifications', { error: messageOf(err) })
      }
    }
  }
}
