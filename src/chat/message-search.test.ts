import assert from 'node:assert/strict'
import { test } from 'node:test'
import { channelTrio, type TestDevice } from './test-devices.js'
import type { ConversationId, MessageSearchInput, MessageView } from '../api/contract.js'

async function found(d: TestDevice, input: MessageSearchInput): Promise<string[]> {
  return (await d.chat.search(input)).hits.map((h) => h.message.text)
}

async function arrived(net: Awaited<ReturnType<typeof channelTrio>>['net'], d: TestDevice, conv: ConversationId, m: MessageView): Promise<void> {
  await net.until('the message arrived', async () => (await d.chat.history({ conversationId: conv }, {})).some((v) => v.id === m.id))
}

test('each device finds every member\'s messages of a conversation, by words, Chinese substrings and sender', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const m1 = await a.chat.send({ conversationId: conv }, '下周一上午十点在第三会议室评审**Q3 roadmap**')
    const m2 = await b.chat.send({ conversationId: conv }, 'Roadmap review moved; 评审改到周二')
    for (const d of [a, b, c]) { await arrived(net, d, conv, m1); await arrived(net, d, conv, m2) }
    for (const d of [a, b, c]) {
      assert.deepEqual(await found(d, { query: '评审' }), [m2.text, m1.text])
      assert.deepEqual(await found(d, { query: '三会议' }), [m1.text])
      assert.deepEqual(await found(d, { query: 'ROADMAP' }), [m2.text, m1.text])
      assert.deepEqual(await found(d, { query: 'roadmap', from: [b.id] }), [m2.text])
      assert.deepEqual(await found(d, { query: '评审', conversationId: conv, before: m2.sentAt }), [m1.text])
    }
    const [hit] = (await c.chat.search({ query: 'q3 road' })).hits
    assert.ok(hit !== undefined)
    assert.equal(hit.snippet, '下周一上午十点在第三会议室评审Q3 roadmap', 'markdown marks are not shown')
    assert.deepEqual(hit.highlights.map(([s, e]) => hit.snippet.slice(s, e)), ['Q3', 'roadmap'], 'a word begun is marked whole')
    assert.equal((await c.chat.search({ query: '评' })).tooShort, true, 'one character looks nothing up, and says so')
  } finally {
    await net.close()
  }
})

test('an edit is found by its new words everywhere, a recall by nothing anywhere, and mentions filter', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const m = await a.chat.send({ conversationId: conv }, 'the vendor password is hunter2 密码')
    const witness = await b.chat.send({ conversationId: conv }, `@ ${a.id} noted`, { mentions: [a.id] })
    for (const d of [a, b, c]) { await arrived(net, d, conv, m); await arrived(net, d, conv, witness) }
    assert.deepEqual(await found(a, { query: 'noted', mentionsMe: true }), [witness.text])
    assert.deepEqual(await found(c, { query: 'noted', mentionsMe: true }), [])
    await a.chat.actions.edit(m.id, 'the vendor password is in the vault 保险库')
    for (const d of [a, b, c]) {
      await net.until('the edit is found', async () => (await found(d, { query: '保险库' })).length === 1)
      assert.deepEqual(await found(d, { query: 'hunter2' }), [])
      assert.deepEqual(await found(d, { query: '密码' }), [])
    }
    // A member who is not the author forges an edit and a recall: nobody's search changes.
    await c.chat.actions.sendUnchecked(m.id, (target) => ({ type: 'edit', target, text: 'forged 伪造 text' }))
    await c.chat.actions.sendUnchecked(m.id, (target) => ({ type: 'recall', target }))
    const after = await c.chat.send({ conversationId: conv }, 'witness after the forgery')
    for (const d of [a, b]) {
      await arrived(net, d, conv, after)
      assert.deepEqual(await found(d, { query: '伪造' }), [])
      assert.deepEqual(await found(d, { query: '保险库' }), ['the vendor password is in the vault 保险库'], 'still found by its real words')
    }
    await a.chat.actions.recall(m.id)
    for (const d of [a, b, c]) {
      await net.until('the recall is applied', async () => (await d.chat.history({ conversationId: conv }, {})).some((v) => v.id === m.id && v.recalled !== undefined))
      assert.deepEqual(await found(d, { query: 'vendor' }), [])
      assert.deepEqual(await found(d, { query: '保险库' }), [])
    }
  } finally {
    await net.close()
  }
})

test('history stored before the index existed is indexed after a restart, and found', async () => {
  const { net, a, b, conv } = await trio()
  try {
    const m = await a.chat.send({ conversationId: conv }, '旧消息 from before search')
    await arrived(net, b, conv, m)
    // As a store from before this feature: no index at all.
    await net.restart(b, async (store) => { for (const name of ['searchDocs', 'searchPostings', 'searchRefs', 'searchState'] as const) await store.collection(name).clear() })
    await net.until('history indexed', () => b.chat.searchIndex().state === 'ready')
    assert.deepEqual(await found(b, { query: '旧消息' }), [m.text])
    assert.ok(b.events.some((e) => e.name === 'search.indexChanged' && e.payload.state === 'indexing'), 'the progress was shown')
  } finally {
    await net.close()
  }
})

const trio = channelTrio
