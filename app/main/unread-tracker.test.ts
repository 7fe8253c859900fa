import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { createShellLog } from './shell-log.js'
import { createUnreadTracker } from './unread-tracker.js'
import type { ConversationId, ConversationView, PeerIdString } from '../../src/api/contract.js'
import type { ApiClient } from '../../src/api/api-client.js'

function conversation(id: string, unread: number): ConversationView {
  return {
    id: id as ConversationId,
    kind: 'dm',
    peerId: '12D3KooWpeer' as PeerIdString,
    movedTo: null,
    workspaceId: null,
    name: null,
    topic: '',
    visibility: null,
    archived: false,
    status: 'active',
    members: [],
    pendingMembers: [],
    onTheWay: [],
    committer: null,
    canManage: false,
    afterRestore: null,
    recallMinutes: null,
    notify: 'all',
    waiting: 0,
    lastMessage: null,
    unread,
    mentions: 0,
    muted: false
  }
}

/** An API whose conversations.list answers when the test says so. */
function fakeApi() {
  const events = new EventEmitter()
  let answer: ((list: ConversationView[]) => void) | null = null
  const api: Pick<ApiClient, 'call' | 'on'> = {
    call: (() => new Promise<ConversationView[]>((resolve) => { answer = resolve })) as ApiClient['call'],
    on: (name, listener) => {
      events.on(name, listener)
      return () => { events.off(name, listener) }
    }
  }
  return {
    api,
    changed: (c: ConversationView) => { events.emit('conversations.changed', c) },
    answer: (list: ConversationView[]) => { answer?.(list) }
  }
}

test('totals unread messages over conversations and follows changes', async () => {
  const { api, changed, answer } = fakeApi()
  const totals: number[] = []
  const tracker = createUnreadTracker({ api, onChange: (n) => totals.push(n), log: createShellLog('test', () => undefined) })

  const refreshed = tracker.refresh()
  answer([conversation('dm:a', 2), conversation('dm:b', 1)])
  await refreshed
  changed(conversation('dm:a', 0))
  changed(conversation('dm:c', 4))
  changed(conversation('dm:c', 4))

  assert.deepEqual(totals, [3, 1, 5])
  assert.equal(tracker.total, 5)
})

test('changes that arrive while the list is loading win over the older list', async () => {
  const { api, changed, answer } = fakeApi()
  const tracker = createUnreadTracker({ api, onChange: () => undefined, log: createShellLog('test', () => undefined) })
  const refreshed = tracker.refresh()
  changed(conversation('dm:a', 0))
  answer([conversation('dm:a', 7), conversation('dm:b', 1)])
  await refreshed
  assert.equal(tracker.total, 1)
})

test('a muted conversation counts only its mentions', async () => {
  const { api, changed, answer } = fakeApi()
  const totals: number[] = []
  const tracker = createUnreadTracker({ api, onChange: (n) => totals.push(n), log: createShellLog('test', () => undefined) })
  const refreshed = tracker.refresh()
  answer([conversation('dm:a', 2), { ...conversation('ch:busy', 40), muted: true, mentions: 1 }])
  await refreshed
  changed({ ...conversation('ch:busy', 41), muted: true, mentions: 1 })
  changed({ ...conversation('ch:busy', 41), muted: false, mentions: 1 })
  assert.deepEqual(totals, [3, 43])
})
