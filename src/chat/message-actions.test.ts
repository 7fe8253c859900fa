import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { messageId } from '../ids.js'
import { cborFrame } from '../net/frame-io.js'
import { probeServer } from '../fuzz-streams.js'
import { GROUP_PROTOCOL } from './group-protocol.js'
import { channelTrio, createTestDevices, TEST_WORKSPACE, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId, MessageView, PeerIdString } from '../api/contract.js'

const PEER = '12D3KooWQ7dFtSMHsdBYi7oTvT5t1QysByY2tpdkDEcnrdqShTzK' as PeerIdString
import type { ConversationRecord, StoredMessage } from './message-log.js'
import { plausibleTarget } from './message-actions.js'

const trio = channelTrio

async function message(device: TestDevice, conv: ConversationId, id: string): Promise<MessageView | undefined> {
  return (await device.chat.history({ conversationId: conv }, {})).find((v) => v.id === id)
}

/** Waits until every device shows the message satisfying `check`. */
async function everyone(net: TestDevices, devices: TestDevice[], conv: ConversationId, id: string, what: string, check: (v: MessageView) => boolean): Promise<void> {
  for (const d of devices) {
    await net.until(`${what} on ${devices.indexOf(d)}`, async () => {
      const v = await message(d, conv, id)
      return v !== undefined && check(v)
    })
  }
}

/** The texts of the messages a device's search finds. */
async function foundBy(device: TestDevice, query: string): Promise<string[]> {
  return (await device.chat.search({ query })).hits.map((h) => h.message.text)
}

/** Every stored message record of a device, as on its disk (sealed values opened). */
async function onDisk(device: TestDevice): Promise<StoredMessage[]> {
  const out: StoredMessage[] = []
  for await (const [, msg] of device.store.collection<StoredMessage>('messages').entries()) out.push(msg)
  return out
}

test('reactions, an edit and a pin reach every member and the same state shows everywhere', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const sent = await a.chat.send({ conversationId: conv }, 'lunch at noon?')
    await everyone(net, [b, c], conv, sent.id, 'the message', () => true)
    await b.chat.actions.react(sent.id, '👍', true)
    await c.chat.actions.react(sent.id, '👍', true)
    await c.chat.actions.react(sent.id, '🎉', true)
    await c.chat.actions.react(sent.id, '🎉', false)
    await a.chat.actions.edit(sent.id, 'lunch at 12:30?')
    await b.chat.actions.pin(sent.id, true)
    const settled = (v: MessageView): boolean => v.text === 'lunch at 12:30?' && v.editedAt !== undefined && v.pinned?.by === b.id &&
      JSON.stringify(v.reactions) === JSON.stringify([{ emoji: '👍', by: [b.id, c.id] }])
    await everyone(net, [a, b, c], conv, sent.id, 'reactions, edit and pin', settled)
    for (const d of [a, b, c]) assert.deepEqual((await d.chat.actions.pins(conv)).map((v) => v.id), [sent.id])
    // Bots see each change as its own event.
    assert.ok(a.events.some((e) => e.name === 'chat.reactionsChanged' && e.payload.messageId === sent.id && e.payload.reactions[0]?.by.length === 2))
    assert.ok(b.events.some((e) => e.name === 'chat.messageEdited' && e.payload.text === 'lunch at 12:30?'))
    assert.ok(c.events.some((e) => e.name === 'chat.pinsChanged' && e.payload.pinned))
    // The author sees the text it replaced; a member who only read it does not.
    assert.deepEqual((await a.chat.messageInfo(sent.id)).edits.map((e) => e.text), ['lunch at noon?'])
    assert.deepEqual((await b.chat.messageInfo(sent.id)).edits, [])
    await assert.rejects(b.chat.actions.edit(sent.id, 'mine now'), { code: 'unauthorized' })
    await assert.rejects(b.chat.actions.react(sent.id, 'ok', true), { code: 'bad-request' })
  } finally {
    await net.close()
  }
})

test('an edit and a reaction that arrive before their message wait for it', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(a, c, false)
    const sent = await a.chat.send({ conversationId: conv }, 'draft')
    await everyone(net, [b], conv, sent.id, 'the message at b', () => true)
    await a.chat.actions.edit(sent.id, 'final')
    await b.chat.actions.react(sent.id, '✅', true)
    // b's reaction reaches c at once; a's message and edit are handed over edit first.
    await net.until('the reaction stored at c', () => c.events.some((e) => e.name === 'chat.reactionsChanged'))
    assert.equal(await message(c, conv, sent.id), undefined)
    const envs = (await a.envelopes(conv, a.id)).filter((e) => e.seq >= sent.seq).reverse()
    await net.deliver(c, a, envs)
    await everyone(net, [c], conv, sent.id, 'the edited, reacted message', (v) => v.text === 'final' && v.reactions?.[0]?.emoji === '✅')
    const added = c.added(conv).find((v) => v.id === sent.id)
    assert.equal(added?.text, 'final', 'shown edited from the first moment')
    assert.deepEqual(await foundBy(c, 'final'), ['final'], 'found by its edited text')
    // A message and its edit handed over together, in order (one pass, one batch).
    const second = await a.chat.send({ conversationId: conv }, 'second draft')
    await a.chat.actions.edit(second.id, 'second version')
    await net.deliver(c, a, (await a.envelopes(conv, a.id)).filter((e) => e.seq >= second.seq))
    await everyone(net, [c], conv, second.id, 'the second, edited', (v) => v.text === 'second version')
    assert.deepEqual(await foundBy(c, 'version'), ['second version'], 'found by the edit that came with it')
    net.oneWay(a, c, true)
  } finally {
    await net.close()
  }
})

test('a recall erases the message on every member\'s disk, even when it arrives first', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const shown = await b.chat.send({ conversationId: conv }, 'CANARY-shown-then-recalled')
    await everyone(net, [a, c], conv, shown.id, 'the message', () => true)
    await a.chat.actions.react(shown.id, '👀', true)
    await b.chat.actions.edit(shown.id, 'CANARY-edited-then-recalled')
    await everyone(net, [a, c], conv, shown.id, 'the edit', (v) => v.editedAt !== undefined)
    await b.chat.actions.recall(shown.id)
    await everyone(net, [a, b, c], conv, shown.id, 'the tombstone', (v) => v.recalled?.by === b.id && v.text === '' && v.reactions === undefined)
    // Recalled before it reached c: the message is stored erased.
    net.oneWay(b, c, false)
    const early = await b.chat.send({ conversationId: conv }, 'CANARY-never-seen')
    await b.chat.actions.recall(early.id)
    const envs = (await b.envelopes(conv, b.id)).filter((e) => e.seq >= early.seq).reverse()
    await net.deliver(c, b, envs)
    await everyone(net, [c], conv, early.id, 'the early tombstone', (v) => v.recalled !== undefined && v.text === '')
    net.oneWay(b, c, true)
    for (const d of [a, b, c]) {
      await net.until('erased on disk', async () => !JSON.stringify(await onDisk(d)).includes('CANARY'))
      for (const name of ['annotations', 'searchDocs'] as const) {
        const raw = JSON.stringify(await (async () => { const all: unknown[] = []; for await (const e of d.store.collection(name).entries()) all.push(e); return all })())
        assert.ok(!raw.toLowerCase().includes('canary'), `no earlier text in ${name} either`)
      }
    }
    await assert.rejects(b.chat.actions.edit(shown.id, 'back'), { code: 'bad-request' })
  } finally {
    await net.close()
  }
})

test('a member cannot edit or recall another\'s message; a channel\'s admin can recall', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const bobs = await b.chat.send({ conversationId: conv }, 'the real numbers')
    await everyone(net, [a, c], conv, bobs.id, 'the message', () => true)
    await assert.rejects(c.chat.actions.recall(bobs.id), { code: 'unauthorized' })
    await assert.rejects(c.chat.actions.edit(bobs.id, 'fake numbers'), { code: 'unauthorized' })
    // c's client skips its own checks, as a modified one would: members refuse on arrival.
    await c.chat.actions.sendUnchecked(bobs.id, (target) => ({ type: 'edit', target, text: 'fake numbers' }))
    await c.chat.actions.sendUnchecked(bobs.id, (target) => ({ type: 'recall', target }))
    const witness = await c.chat.send({ conversationId: conv }, 'after the forgeries')
    await everyone(net, [a, b], conv, witness.id, 'the witness', () => true)
    for (const d of [a, b]) {
      const v = await message(d, conv, bobs.id)
      assert.equal(v?.text, 'the real numbers')
      assert.equal(v.recalled, undefined)
    }
    // a created the channel and administers the workspace.
    await a.chat.actions.recall(witness.id)
    await everyone(net, [b, c], conv, witness.id, 'the admin\'s recall', (v) => v.recalled?.by === a.id)
  } finally {
    await net.close()
  }
})

test('the workspace\'s recall time limit: the author recalls within it, not after (a forged late recall is refused); a channel\'s admin any time', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.setRecallMinutes(2)
    assert.equal((await b.chat.conversations()).find((v) => v.id === conv)?.recallMinutes, 2)
    const quick = await b.chat.send({ conversationId: conv }, 'wrong channel, sorry')
    await everyone(net, [c], conv, quick.id, 'the message', () => true)
    await b.chat.actions.recall(quick.id)
    await everyone(net, [a, c], conv, quick.id, 'a recall within the limit', (v) => v.recalled?.by === b.id)

    const kept = await b.chat.send({ conversationId: conv }, 'the figures for Q3')
    await everyone(net, [a, c], conv, kept.id, 'the second message', () => true)
    net.skew(b, 3 * 60_000)
    await assert.rejects(b.chat.actions.recall(kept.id), { code: 'blocked-by-policy' })
    // b's client skips its own check, as a modified one would: members refuse it on arrival.
    await b.chat.actions.sendUnchecked(kept.id, (target) => ({ type: 'recall', target }))
    const witness = await b.chat.send({ conversationId: conv }, 'after the late recall')
    await everyone(net, [a, c], conv, witness.id, 'the witness', () => true)
    for (const d of [a, c]) assert.equal((await message(d, conv, kept.id))?.text, 'the figures for Q3')
    assert.equal(c.lines.filter((l) => l.msg === 'refused a message action' && l.why === 'past the workspace\'s time limit for recalling').length, 1)

    // a created the channel and administers the workspace: no time limit.
    net.skew(a, 3 * 60_000)
    await a.chat.actions.recall(kept.id)
    // (b's own device shows its forged recall: the forger sees what it wanted.)
    await everyone(net, [c], conv, kept.id, 'the admin\'s late recall', (v) => v.recalled?.by === a.id)
  } finally {
    await net.close()
  }
})

test('a reply quotes its message as it is now', async () => {
  const { net, a, b, conv } = await trio()
  try {
    const question = await a.chat.send({ conversationId: conv }, 'who has the keys?')
    await everyone(net, [b], conv, question.id, 'the question', () => true)
    const answer = await b.chat.send({ conversationId: conv }, 'I do', { replyTo: question.id })
    assert.equal(answer.replyTo?.text, 'who has the keys?')
    await everyone(net, [a], conv, answer.id, 'the reply', (v) => v.replyTo?.id === question.id && v.replyTo.text === 'who has the keys?')
    await a.chat.actions.recall(question.id)
    await everyone(net, [a, b], conv, answer.id, 'the quote recalled', (v) => v.replyTo?.recalled === true && v.replyTo.text === '')
    await assert.rejects(b.chat.send({ conversationId: conv }, 'x', { replyTo: messageId(conv, a.id, 999) }), { code: 'not-found' })
  } finally {
    await net.close()
  }
})

test('a mention counts for the one mentioned until read, and @all only from a channel\'s manager', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const hey = await b.chat.send({ conversationId: conv }, '@c can you check?', { mentions: [c.id] })
    await everyone(net, [a, c], conv, hey.id, 'the mention', () => true)
    assert.equal((await message(c, conv, hey.id))?.mentionsMe, true)
    assert.equal((await message(a, conv, hey.id))?.mentionsMe, undefined)
    await net.until('c counts it', () => c.lastView(conv)?.mentions === 1)
    assert.equal(a.lastView(conv)?.mentions, 0)
    assert.deepEqual((await c.chat.mentions(10)).map((v) => v.id), [hey.id])
    await c.chat.markRead(conv)
    assert.equal(c.lastView(conv)?.mentions, 0)
    await assert.rejects(b.chat.send({ conversationId: conv }, '@all lunch', { mentionAll: true }), { code: 'unauthorized' })
    const all = await a.chat.send({ conversationId: conv }, '@all release at five', { mentionAll: true })
    await everyone(net, [b, c], conv, all.id, '@all', (v) => v.mentionsMe === true)
    // A recalled mention is no longer listed.
    await b.chat.actions.recall(hey.id)
    await everyone(net, [c], conv, hey.id, 'the recall', (v) => v.recalled !== undefined)
    assert.deepEqual((await c.chat.mentions(10)).map((v) => v.id), [all.id])
  } finally {
    await net.close()
  }
})

test('read receipts: members see who read their message, batched; a member who keeps reads private sends none', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const sent = await a.chat.send({ conversationId: conv }, 'please read the policy')
    await everyone(net, [b, c], conv, sent.id, 'the message', () => true)
    await c.chat.markRead(conv, false)
    await b.chat.markRead(conv)
    await b.chat.markRead(conv)
    await net.until('a told that b read it', () => a.events.some((e) => e.name === 'chat.readChanged' && e.payload.by === b.id))
    assert.equal(a.events.filter((e) => e.name === 'chat.readChanged').length, 1, 'two reads within the batch went as one receipt')
    // c's receipt, had it sent one, was queued before this message: its arrival shows none came.
    const witness = await c.chat.send({ conversationId: conv }, 'read it, no comment')
    await everyone(net, [a], conv, witness.id, 'the witness', () => true)
    assert.deepEqual((await message(a, conv, sent.id))?.readBy, [b.id])
    assert.ok(!a.events.some((e) => e.name === 'chat.readChanged' && e.payload.by === c.id))
  } finally {
    await net.close()
  }
})

test('typing reaches the members connected now; a device outside the conversation is refused and shown nothing', async () => {
  const net = await createTestDevices(4)
  const [a, b, c, d] = net.devices
  assert.ok(a !== undefined && b !== undefined && c !== undefined && d !== undefined)
  try {
    const conv = (await a.chat.createChannel({ workspaceId: TEST_WORKSPACE, name: 'team', members: [b.id, c.id] })).id
    await net.until('members joined', async () => (await b.record(conv))?.status === 'active' && (await c.record(conv))?.status === 'active')
    b.chat.typing(conv)
    b.chat.typing(conv)
    for (const other of [a, c]) await net.until('b typing shown', () => other.events.some((e) => e.name === 'chat.typing' && e.payload.peerId === b.id && e.payload.conversationId === conv))
    assert.equal(a.events.filter((e) => e.name === 'chat.typing').length, 1, 'said once within three seconds')
    // d is in the workspace, not in the channel: its claim is refused.
    const handler = net.handlerOf(a, GROUP_PROTOCOL)
    assert.ok(handler !== undefined)
    const probe = await probeServer((s, conn) => Promise.resolve(handler(s, conn)), peerIdFromString(d.id), cborFrame({ t: 'typing', conv }))
    assert.match(JSON.stringify(probe.frames), /not-member/)
    assert.ok(!a.events.some((e) => e.name === 'chat.typing' && e.payload.peerId === d.id))
  } finally {
    await net.close()
  }
})

test('thread replies stay in their thread (unless also sent to the conversation) and the first message counts them everywhere', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    const root = await a.chat.send({ conversationId: conv }, 'release plan?')
    await everyone(net, [b, c], conv, root.id, 'the root', () => true)
    const r1 = await b.chat.send({ conversationId: conv }, 'Friday works', { threadOf: root.id })
    assert.equal(r1.threadOf, root.id)
    await net.until('c has b\'s reply', async () => (await c.chat.thread(root.id)).replies.some((v) => v.id === r1.id))
    // A reply to a reply goes in the same thread; this one is also sent to the conversation.
    const r2 = await c.chat.send({ conversationId: conv }, 'agreed, Friday', { threadOf: r1.id, echo: true })
    assert.equal(r2.threadOf, root.id)
    const counted = (v: MessageView): boolean => v.thread?.count === 2 && JSON.stringify(v.thread.repliers) === JSON.stringify([c.id, b.id])
    await everyone(net, [a, b, c], conv, root.id, 'the thread counted', counted)
    for (const d of [a, b, c]) {
      const ids = (await d.chat.history({ conversationId: conv }, {})).map((v) => v.id)
      assert.ok(!ids.includes(r1.id), 'a thread reply is not in the conversation')
      assert.ok(ids.includes(r2.id), 'one also sent to the conversation is')
      const thread = await d.chat.thread(root.id)
      assert.deepEqual(thread.replies.map((v) => v.text), ['Friday works', 'agreed, Friday'])
      assert.equal(thread.root.thread?.count, 2)
    }
    assert.ok(a.events.some((e) => e.name === 'chat.messageUpdated' && e.payload.id === root.id && e.payload.thread?.count === 2))
    await assert.rejects(b.chat.send({ conversationId: conv }, 'x', { threadOf: messageId(conv, a.id, 999) }), { code: 'not-found' })
  } finally {
    await net.close()
  }
})

test('mute and saved-for-later are personal: they show only on this device and last across a restart', async () => {
  const { net, a, b, conv } = await trio()
  try {
    assert.equal((await a.chat.mute(conv, 'mentions')).muted, true)
    assert.deepEqual((({ muted, notify }) => ({ muted, notify }))(await a.chat.mute(conv, 'nothing')), { muted: true, notify: 'nothing' })
    const first = await b.chat.send({ conversationId: conv }, 'the VPN guide')
    const second = await b.chat.send({ conversationId: conv }, 'the expense form')
    await everyone(net, [a], conv, second.id, 'both messages', () => true)
    assert.ok((await a.chat.actions.save(second.id, true)).savedAt !== undefined)
    await a.chat.actions.save(first.id, true)
    await net.restart(a)
    assert.equal((await a.chat.conversations()).find((c) => c.id === conv)?.notify, 'nothing')
    assert.deepEqual((await a.chat.actions.saved(10)).map((v) => v.text), ['the VPN guide', 'the expense form'])
    assert.ok((await message(a, conv, first.id))?.savedAt !== undefined)
    assert.equal((await message(b, conv, first.id))?.savedAt, undefined)
    assert.equal((await a.chat.actions.save(first.id, false)).savedAt, undefined)
    assert.deepEqual((await a.chat.actions.saved(10)).map((v) => v.id), [second.id])
    assert.deepEqual((({ muted, notify }) => ({ muted, notify }))(await a.chat.mute(conv, 'all')), { muted: false, notify: 'all' })
  } finally {
    await net.close()
  }
})

test('an op or a thread reply may name a message not here yet, but not one far past its author\'s mark', () => {
  const record = { seen: { [PEER]: 5 } } as unknown as ConversationRecord
  assert.ok(plausibleTarget(record, { author: PEER, seq: 9 }))
  assert.ok(plausibleTarget(record, { author: PEER, seq: 10_005 }))
  assert.ok(!plausibleTarget(record, { author: PEER, seq: 10_006 }))
  assert.ok(!plausibleTarget(record, { author: 'never-seen' as PeerIdString, seq: 1_000_000 }))
})
