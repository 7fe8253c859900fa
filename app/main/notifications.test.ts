import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { createMessageNotifier, type ShownNotification } from './notifications.js'
import { createShellLog } from './shell-log.js'
import type { CallId, CallView, ConversationId, MessageId, MessageView, PeerIdString, PeerView } from '../../src/api/contract.js'
import type { ApiClient } from '../../src/api/api-client.js'

const ada = '12D3KooWAdaAdaAdaAdaAdaAda' as PeerIdString
const bob = '12D3KooWBobBobBobBobBobBob' as PeerIdString

function message(conversationId: string, author: PeerIdString, text: string, mine = false): MessageView {
  return { id: `${conversationId}/${author}/1` as MessageId, conversationId: conversationId as ConversationId, author, seq: 1, sentAt: 0, order: '0', text, state: mine ? 'sent' : 'received', mine, delivery: null }
}

class FakeNotification extends EventEmitter implements ShownNotification {
  shown = false
  closed = false
  constructor(readonly content: { title: string; body: string }) { super() }
  show(): void { this.shown = true }
  close(): void {
    this.closed = true
    this.emit('close')
  }
}

function setup(focused: { value: boolean }, peers: PeerView[] = [], clock: { at: Date } = { at: new Date() }) {
  const events = new EventEmitter()
  const api: Pick<ApiClient, 'call' | 'on'> = {
    call: ((method: string) => Promise.resolve(method === 'peers.list' ? peers : method === 'profile.get' ? { presence: 'online', quietHours: null } : [])) as ApiClient['call'],
    on: (name, listener) => {
      events.on(name, listener)
      return () => { events.off(name, listener) }
    }
  }
  const shown: FakeNotification[] = []
  const opened: ConversationId[] = []
  const notifier = createMessageNotifier({
    api,
    isWindowFocused: () => focused.value,
    createNotification: (content) => {
      const n = new FakeNotification(content)
      shown.push(n)
      return n
    },
    openConversation: (id) => opened.push(id),
    log: createShellLog('test', () => undefined),
    now: () => clock.at
  }, { minIntervalMs: 50, maxBodyLength: 10 })
  return { notifier, shown, opened, emit: (name: string, payload: unknown) => events.emit(name, payload) }
}

test('notifies about others\' messages only while the window is not focused', () => {
  const focused = { value: true }
  const { shown, emit } = setup(focused)
  emit('chat.messageAdded', message('dm:1', ada, 'seen in the window'))
  focused.value = false
  emit('chat.messageAdded', message('dm:2', ada, 'mine', true))
  emit('chat.messageAdded', message('dm:3', ada, 'hello'))
  assert.equal(shown.length, 1)
  assert.deepEqual(shown[0]?.content, { title: '12D3KooW…aAda', body: 'hello' })
  assert.equal(shown[0].shown, true)
})

test('clicking a notification opens its conversation', () => {
  const { shown, opened, emit } = setup({ value: false })
  emit('chat.messageAdded', message('dm:7', bob, 'a long message that is cut'))
  assert.equal(shown[0]?.content.body, 'a long me…')
  shown[0].emit('click')
  assert.deepEqual(opened, ['dm:7'])
})

test('a burst from one conversation shows one notification; titles use display names', async () => {
  const { notifier, shown, emit } = setup({ value: false }, [{ peerId: ada, displayName: 'Ada', connected: true, presence: 'online', addresses: [], lastSeen: null, path: 'direct', via: null }])
  await notifier.refresh()
  for (let i = 0; i < 100; i++) emit('chat.messageAdded', message('dm:1', ada, `m${i}`))
  assert.equal(shown.length, 1)
  assert.equal(shown[0]?.content.title, 'Ada')

  emit('peers.changed', { peerId: ada, displayName: 'Ada L.', connected: true, addresses: [], lastSeen: null })
  await new Promise((resolve) => setTimeout(resolve, 60))
  emit('chat.messageAdded', message('dm:1', ada, 'later'))
  assert.equal(shown.length, 2)
  assert.equal(shown[1]?.content.title, 'Ada L.')
  assert.equal(shown[0].closed, true, 'the newer notification replaces the older one')
})

test('a mention is shown even right after another notification from the same conversation', () => {
  const { shown, emit } = setup({ value: false })
  emit('chat.messageAdded', message('ch:1', ada, 'busy'))
  emit('chat.messageAdded', message('ch:1', ada, 'more'))
  emit('chat.messageAdded', { ...message('ch:1', bob, '@you look'), mentionsMe: true })
  assert.deepEqual(shown.map((n) => n.content.body), ['busy', '@you look'])
})

test('a muted conversation notifies only mentions, one set to nothing not even those', () => {
  const { shown, emit } = setup({ value: false })
  emit('conversations.changed', { id: 'ch:busy', muted: true, notify: 'mentions' })
  emit('chat.messageAdded', message('ch:busy', ada, 'more chatter'))
  emit('chat.messageAdded', { ...message('ch:busy', bob, '@you look'), mentionsMe: true })
  emit('conversations.changed', { id: 'ch:busy', muted: true, notify: 'nothing' })
  emit('chat.messageAdded', { ...message('ch:busy', bob, '@you again'), mentionsMe: true })
  emit('conversations.changed', { id: 'ch:busy', muted: false, notify: 'all' })
  emit('chat.messageAdded', message('ch:other', ada, 'elsewhere'))
  assert.deepEqual(shown.map((n) => n.content.body), ['@you look', 'elsewhere'])
})

test('do not disturb: chosen as presence, or during the quiet hours (past midnight too), nothing notifies, mentions neither', () => {
  const clock = { at: new Date(2026, 11, 5, 23, 30) }
  const { shown, emit } = setup({ value: false }, [], clock)
  const mention = (text: string): MessageView => ({ ...message('ch:ops', bob, text), mentionsMe: true })
  emit('profile.changed', { presence: 'dnd', quietHours: null })
  emit('chat.messageAdded', mention('@busy'))
  emit('profile.changed', { presence: 'online', quietHours: { from: 22 * 60, to: 7 * 60 } })
  emit('chat.messageAdded', mention('@23:30'))
  clock.at = new Date(2026, 11, 6, 6, 59)
  emit('chat.messageAdded', mention('@06:59'))
  clock.at = new Date(2026, 11, 6, 7, 0)
  emit('chat.messageAdded', mention('@07:00'))
  emit('profile.changed', { presence: 'online', quietHours: { from: 12 * 60, to: 13 * 60 } })
  clock.at = new Date(2026, 11, 6, 12, 15)
  emit('chat.messageAdded', message('dm:lunch', ada, 'at lunch'))
  clock.at = new Date(2026, 11, 6, 13, 0)
  emit('chat.messageAdded', message('dm:lunch', ada, 'back'))
  assert.deepEqual(shown.map((n) => n.content.body), ['@07:00', 'back'])
})

test('a call ringing in the background shows until it stops ringing; a click opens its conversation; quiet conversations and a focused window show none', async () => {
  const focused = { value: false }
  const { notifier, shown, opened, emit } = setup(focused, [{ peerId: ada, displayName: 'Ada' } as PeerView])
  await notifier.refresh()
  const call = (id: string, state: CallView['state'], conversationId = 'dm:1'): CallView => ({ id: id as CallId, conversationId: conversationId as ConversationId, video: true, startedBy: ada, startedAt: 0, state, participants: [], busy: [] })
  emit('calls.changed', call('c1', 'ringing'))
  emit('calls.changed', call('c1', 'ringing'))
  assert.equal(shown.length, 1, 'one notification per call')
  assert.deepEqual(shown[0]?.content, { title: 'Ada', body: 'Incoming video call' })
  emit('calls.changed', call('c1', 'elsewhere'))
  assert.equal(shown[0].closed, true, 'answered on another device: gone')

  emit('calls.changed', call('c2', 'ringing', 'dm:2'))
  shown[1]?.emit('click')
  assert.deepEqual(opened, ['dm:2'])

  emit('conversations.changed', { id: 'dm:3', muted: true, notify: 'nothing' })
  emit('calls.changed', call('c3', 'ringing', 'dm:3'))
  focused.value = true
  emit('calls.changed', call('c4', 'ringing'))
  assert.equal(shown.length, 2)
})
