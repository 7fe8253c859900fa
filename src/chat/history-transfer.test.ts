import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { cborFrame } from '../net/frame-io.js'
import { probeServer } from '../fuzz-streams.js'
import { FIRST_PAGE, HISTORY_PROTOCOL } from './history-transfer.js'
import { createTestDevices, TEST_WORKSPACE, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId, MessageView } from '../api/contract.js'

async function all(d: TestDevice, conv: ConversationId): Promise<MessageView[]> {
  return d.chat.history({ conversationId: conv }, { limit: 1_000 })
}

/** What `asker` gets when it asks `server` for a page of the conversation's history. */
async function askAs(net: TestDevices, server: TestDevice, asker: TestDevice, conv: ConversationId): Promise<unknown[]> {
  const handler = net.handlerOf(server, HISTORY_PROTOCOL)
  assert.ok(handler !== undefined, 'the history protocol is served')
  return (await probeServer((s, conn) => Promise.resolve(handler(s, conn)), peerIdFromString(asker.id), cborFrame({ conv, limit: 10 }))).frames
}

test('a device linked later gets its person\'s channel history as it reads there (edits, reactions, recalls, threads), newest first; nobody else may ask for it; the person\'s messages are theirs on either device', async () => {
  // d is a's person's second device, in the workspace only once linked.
  const net = await createTestDevices(4, { linked: [[0, 3]] })
  const [a, b, c, d] = net.devices
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('four devices were made')
  try {
    const view = await a.chat.createChannel({ workspaceId: TEST_WORKSPACE, name: 'plans', members: [b.id, c.id] })
    const conv = view.id
    await net.until('members joined', async () => (await b.record(conv))?.status === 'active' && (await c.record(conv))?.status === 'active')
    const budget = await a.chat.send({ conversationId: conv }, 'quarterly 预算 plan')
    const draft = await b.chat.send({ conversationId: conv }, 'draft numbers')
    await net.until('b\'s message at a', async () => (await all(a, conv)).some((m) => m.id === draft.id))
    await b.chat.actions.edit(draft.id, 'final numbers')
    await c.chat.actions.react(budget.id, '👍', true)
    const wrong = await a.chat.send({ conversationId: conv }, 'wrong room, sorry')
    await a.chat.actions.recall(wrong.id)
    const reply = await b.chat.send({ conversationId: conv }, 'agreed, in the thread', { threadOf: budget.id })
    for (let i = 0; i < FIRST_PAGE + 10; i++) await a.chat.send({ conversationId: conv }, `filler ${i}`)
    const last = await c.chat.send({ conversationId: conv }, 'the last word before the laptop')
    await net.until('everything at a', async () => {
      const here = await all(a, conv)
      return here.some((m) => m.id === last.id) && here.find((m) => m.id === draft.id)?.text === 'final numbers' && here.find((m) => m.id === budget.id)?.reactions !== undefined
    })
    assert.deepEqual(await askAs(net, a, d, conv), [{ error: { code: 'not-found', message: 'no such conversation here' } }], 'not its person\'s device yet: refused')

    net.linkDevice(d)
    await net.until('the laptop in the channel', async () => (await d.record(conv))?.status === 'active')
    await net.until('the history at the laptop', async () => (await all(d, conv)).some((m) => m.id === budget.id))
    const shown = await all(d, conv)
    const onA = await all(a, conv)
    assert.deepEqual(shown.map((m) => m.id), onA.map((m) => m.id), 'every message, in order')
    assert.equal(shown.find((m) => m.id === draft.id)?.text, 'final numbers')
    assert.ok(shown.find((m) => m.id === draft.id)?.editedAt !== undefined)
    assert.deepEqual(shown.find((m) => m.id === budget.id)?.reactions, [{ emoji: '👍', by: [c.id] }])
    assert.ok(shown.find((m) => m.id === wrong.id)?.recalled !== undefined, 'a recalled message comes as its tombstone')
    assert.equal(shown.find((m) => m.id === budget.id)?.thread?.count, 1)
    assert.deepEqual((await d.chat.thread(budget.id)).replies.map((m) => m.id), [reply.id])
    assert.equal((await d.record(conv))?.unread, 0, 'history is not unread')
    assert.deepEqual((await d.chat.search({ query: '预算' })).hits.map((h) => h.message.id), [budget.id], 'and found by search')
    assert.deepEqual((await d.chat.search({ query: 'sorry' })).hits, [])
    const told = d.events.flatMap((e) => (e.name === 'chat.historyImported' ? [e.payload.count] : []))
    assert.equal(told[0], FIRST_PAGE, 'the newest page first')
    assert.equal(told.reduce((x, y) => x + y, 0), onA.length + 1, 'each message once, the thread\'s reply too')
    await net.until('the pull done', async () => (await d.record(conv))?.imported?.done === true)

    // The channel goes on for the laptop as for everyone (once b is at the epoch that added it).
    await net.until('b to see the laptop in the channel', async () => (await b.record(conv))?.members.includes(d.id) === true)
    const after = await b.chat.send({ conversationId: conv }, 'welcome, laptop')
    await net.until('a new message at the laptop', async () => (await all(d, conv)).some((m) => m.id === after.id))

    // What Alice sends from her desktop is hers on the laptop too: not unread, and editable there.
    const own = await a.chat.send({ conversationId: conv }, 'sent from the desktop')
    await net.until('the desktop\'s message at the laptop', async () => (await all(d, conv)).some((m) => m.id === own.id))
    assert.equal((await all(d, conv)).find((m) => m.id === own.id)?.mine, true, 'shown as mine')
    assert.equal((await d.record(conv))?.unread, 1, 'only Bob\'s welcome is unread')
    await d.chat.actions.edit(own.id, 'sent from the desktop, edited on the laptop')
    await net.until('the laptop\'s edit at Bob', async () => (await all(b, conv)).find((m) => m.id === own.id)?.text === 'sent from the desktop, edited on the laptop')
    await assert.rejects(b.chat.actions.edit(own.id, 'not yours'), { code: 'unauthorized' })

    // The desktop asks the laptop too (the pull goes both ways), for what is older than its own oldest: nothing.
    await net.until('the desktop to have asked the laptop', async () => (await a.record(conv))?.imported?.done === true)
    assert.equal(a.events.filter((e) => e.name === 'chat.historyImported').length, 0)

    // Colleagues in the channel are other people: their devices get nothing.
    for (const other of [b, c]) assert.deepEqual(await askAs(net, a, other, conv), [{ error: { code: 'not-found', message: 'no such conversation here' } }])
    const page = await askAs(net, a, d, conv) as Array<{ items: unknown[]; more: boolean }>
    assert.equal(page[0]?.items.length, 10, 'its person\'s device gets the page')
  } finally {
    await net.close()
  }
})
