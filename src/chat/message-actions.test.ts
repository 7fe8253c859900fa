import assert from 'node:assert/strict'
import { test } from 'node:test'
import { messageId } from '../ids.js'
import { createTestDevices, TEST_WORKSPACE, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId, MessageView } from '../api/contract.js'
import type { StoredMessage } from './message-log.js'

/** A channel made by the first of three devices (the workspace's admin), with both others in it. */
async function trio(): Promise<{ net: TestDevices; a: TestDevice; b: TestDevice; c: TestDevice; conv: ConversationId }> {
  const net = await createTestDevices(3)
  const [a, b, c] = net.devices
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  const view = await a.chat.createChannel({ workspaceId: TEST_WORKSPACE, name: 'team', members: [b.id, c.id] })
  await net.until('members joined', async () => (await b.record(view.id))?.name === 'team' && (await c.record(view.id))?.name === 'team')
  return { net, a, b, c, conv: view.id }
}

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
      const raw = JSON.stringify(await (async () => { const all: unknown[] = []; for await (const e of d.store.collection('annotations').entries()) all.push(e); return all })())
      assert.ok(!raw.includes('CANARY'), 'no earlier text in the annotations either')
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

test('a reply quotes its message as it is now', async () => {
  const { net, a, b, conv } = await trio()
  try {
    const question = await a.chat.send({ conversationId: conv }, 'who has the keys?')
    await everyone(net, [b], conv, question.id, 'the question', () => true)
    const answer = await b.chat.send({ conversationId: conv }, 'I do', undefined, question.id)
    assert.equal(answer.replyTo?.text, 'who has the keys?')
    await everyone(net, [a], conv, answer.id, 'the reply', (v) => v.replyTo?.id === question.id && v.replyTo.text === 'who has the keys?')
    await a.chat.actions.recall(question.id)
    await everyone(net, [a, b], conv, answer.id, 'the quote recalled', (v) => v.replyTo?.recalled === true && v.replyTo.text === '')
    await assert.rejects(b.chat.send({ conversationId: conv }, 'x', undefined, messageId(conv, a.id, 999)), { code: 'not-found' })
  } finally {
    await net.close()
  }
})
