import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDevices, TEST_WORKSPACE, type TestDevice } from './test-devices.js'
import type { ConversationId, MessageView } from '../api/contract.js'

async function all(d: TestDevice, conv: ConversationId): Promise<MessageView[]> {
  return d.chat.history({ conversationId: conv }, { limit: 1_000 })
}

test('a DM is between people: a device linked later joins it with its history, writes in it as its person, and a device removed leaves it', async () => {
  // a is Alice's desktop, b Bob's device, c Alice's laptop (in the workspace only once linked).
  const net = await createTestDevices(3, { linked: [[0, 2]] })
  const [a, b, c] = net.devices
  if (a === undefined || b === undefined || c === undefined) throw new Error('three devices were made')
  try {
    const hello = await a.chat.send({ peerId: b.id }, 'hello Bob, about the 预算')
    const conv = hello.conversationId
    assert.equal(b.chat.idOf({ peerId: a.id }), conv, 'both people find the same DM')
    await net.until('Bob to have the DM', async () => (await all(b, conv)).some((m) => m.id === hello.id))
    const answer = await b.chat.send({ peerId: a.id }, 'hi Alice')
    await net.until('the answer at the desktop', async () => (await all(a, conv)).some((m) => m.id === answer.id))
    await b.chat.actions.react(hello.id, '👍', true)
    await net.until('the reaction at the desktop', async () => (await all(a, conv)).find((m) => m.id === hello.id)?.reactions !== undefined)

    net.linkDevice(c)
    // The desktop commits the DM's group and adds its person's new device; the laptop pulls what came before.
    await net.until('the laptop in the DM', async () => (await c.record(conv))?.status === 'active')
    assert.equal(c.chat.idOf({ peerId: b.id }), conv, 'the laptop finds the same DM with Bob')
    await net.until('the history at the laptop', async () => (await all(c, conv)).some((m) => m.id === hello.id))
    const shown = await all(c, conv)
    assert.deepEqual(shown.map((m) => m.id), (await all(a, conv)).map((m) => m.id), 'every message, in order')
    assert.equal(shown.find((m) => m.id === hello.id)?.mine, true, 'the desktop\'s message is Alice\'s on her laptop')
    assert.equal(shown.find((m) => m.id === answer.id)?.mine, false)
    assert.deepEqual(shown.find((m) => m.id === hello.id)?.reactions, [{ emoji: '👍', by: [b.id] }])
    assert.equal((await c.record(conv))?.unread, 0, 'history is not unread')
    assert.deepEqual((await c.chat.search({ query: '预算' })).hits.map((h) => h.message.id), [hello.id])
    const view = (await c.chat.conversations()).find((v) => v.id === conv)
    assert.equal(view?.peerId, b.id, 'shown as the DM with Bob')

    // From the laptop, to Bob: the same conversation, Alice's on both her devices.
    await net.until('Bob to see the laptop in the DM', async () => (await b.record(conv))?.members.includes(c.id) === true)
    const unreadBefore = (await a.record(conv))?.unread
    const fromLaptop = await c.chat.send({ peerId: b.id }, 'sent from my laptop')
    assert.equal(fromLaptop.conversationId, conv)
    await net.until('the laptop\'s message at Bob and the desktop', async () =>
      (await all(b, conv)).some((m) => m.id === fromLaptop.id) && (await all(a, conv)).some((m) => m.id === fromLaptop.id))
    assert.equal((await all(a, conv)).find((m) => m.id === fromLaptop.id)?.mine, true, 'the laptop\'s message is Alice\'s on the desktop')
    assert.equal((await a.record(conv))?.unread, unreadBefore, 'and not unread there')
    // Bob answers whichever device he names: it is Alice's DM.
    const toLaptop = await b.chat.send({ peerId: c.id }, 'got it on both?')
    assert.equal(toLaptop.conversationId, conv)
    await net.until('Bob\'s answer on both of Alice\'s devices', async () =>
      (await all(a, conv)).some((m) => m.id === toLaptop.id) && (await all(c, conv)).some((m) => m.id === toLaptop.id))
    // Any of Alice's devices may edit what she sent from another.
    await a.chat.actions.edit(fromLaptop.id, 'sent from my laptop, edited on the desktop')
    await net.until('the edit at Bob', async () => (await all(b, conv)).find((m) => m.id === fromLaptop.id)?.text === 'sent from my laptop, edited on the desktop')

    // The laptop is lost: removed from the workspace, it is out of the DM's next epoch.
    net.removeFromWorkspace(c)
    for (const d of [a, b]) d.bus.emit('membership:changed', { ws: TEST_WORKSPACE })
    await net.until('the laptop out of the DM\'s group on both', async () =>
      (await a.record(conv))?.members.includes(c.id) === false && (await b.record(conv))?.members.includes(c.id) === false)
    const after = await b.chat.send({ peerId: a.id }, 'after the laptop was lost')
    await net.until('the desktop gets it', async () => (await all(a, conv)).some((m) => m.id === after.id))
    const witness = await a.chat.send({ peerId: b.id }, 'the last word')
    await net.until('Bob gets the last word', async () => (await all(b, conv)).some((m) => m.id === witness.id))
    assert.ok(!(await all(c, conv)).some((m) => m.id === after.id || m.id === witness.id), 'the lost laptop reads nothing sent since')
  } finally {
    await net.close()
  }
})

test('two people starting their DM at once from different devices end up in one conversation; a device away at the start is added when it connects', async () => {
  // a and c are Alice's (both linked from the start), b is Bob's.
  const net = await createTestDevices(3, { linked: [[0, 2]] })
  const [a, b, c] = net.devices
  if (a === undefined || b === undefined || c === undefined) throw new Error('three devices were made')
  net.linkDevice(c)
  try {
    net.link(b, c, false)
    net.link(a, c, false)
    const [fromAlice, fromBob] = await Promise.all([a.chat.send({ peerId: b.id }, 'Alice starts'), b.chat.send({ peerId: a.id }, 'Bob starts')])
    const conv = fromAlice.conversationId
    assert.equal(fromBob.conversationId, conv)
    await net.until('both messages on both', async () => {
      const [onA, onB] = [await all(a, conv), await all(b, conv)]
      return [fromAlice, fromBob].every((m) => onA.some((x) => x.id === m.id) && onB.some((x) => x.id === m.id))
    })
    // Whichever group each began, both now send in the same one.
    const next = await Promise.all([a.chat.send({ peerId: b.id }, 'Alice again'), b.chat.send({ peerId: a.id }, 'Bob again')])
    await net.until('the next ones on both', async () => {
      const [onA, onB] = [await all(a, conv), await all(b, conv)]
      return next.every((m) => onA.some((x) => x.id === m.id) && onB.some((x) => x.id === m.id))
    })
    assert.equal((await a.record(conv))?.members.length, 2, 'the laptop is not in yet')

    net.link(b, c, true)
    net.link(a, c, true)
    for (const d of [a, b]) d.bus.emit('peer:ready', c.id)
    c.bus.emit('peer:ready', a.id)
    await net.until('the laptop in the DM', async () => (await c.record(conv))?.status === 'active')
    const later = await b.chat.send({ peerId: a.id }, 'Bob, once the laptop is back')
    await net.until('the laptop gets what came before and after', async () => {
      const onC = await all(c, conv)
      return [fromAlice, fromBob, ...next, later].every((m) => onC.some((x) => x.id === m.id))
    })
  } finally {
    await net.close()
  }
})

test('a DM from before (between two devices) moves into the DM between their people, as it read, and goes on there without a gap', async () => {
  // b's person joins the workspace later: until then a and b share none, and their DM is the devices'.
  const net = await createTestDevices(2, { joinLater: [1] })
  const [a, b] = net.devices
  if (a === undefined || b === undefined) throw new Error('two devices were made')
  try {
    const before = await a.chat.send({ peerId: b.id }, 'before we were colleagues')
    const old = before.conversationId
    await net.until('the old DM at b', async () => (await b.record(old)) !== undefined && (await all(b, old)).some((m) => m.id === before.id))
    const reply = await b.chat.send({ peerId: a.id }, 'a reply from before')
    await net.until('the reply at a', async () => (await all(a, old)).some((m) => m.id === reply.id))
    await b.chat.actions.react(before.id, '🎉', true)
    await a.chat.actions.edit(before.id, 'before we were colleagues (edited)')
    await net.until('the reaction at a and the edit at b', async () =>
      (await all(a, old)).find((m) => m.id === before.id)?.reactions !== undefined && (await all(b, old)).find((m) => m.id === before.id)?.text === 'before we were colleagues (edited)')

    net.linkDevice(b)
    const conv = a.chat.idOf({ peerId: b.id })
    assert.notEqual(conv, old, 'the DM is the people\'s now')
    assert.equal(b.chat.idOf({ peerId: a.id }), conv)
    for (const d of [a, b]) {
      await net.until('the old DM moved, and shells told where it went', async () =>
        (await d.record(old))?.movedTo?.done === true && d.events.some((e) => e.name === 'conversations.changed' && e.payload.id === old && e.payload.movedTo === conv))
      const views = await d.chat.conversations()
      assert.deepEqual(views.filter((v) => v.kind === 'dm').map((v) => v.id), [conv], 'one DM in the list: the people\'s')
      const moved = await all(d, conv)
      assert.deepEqual(moved.map((m) => [m.author, m.text, m.mine]), [[a.id, 'before we were colleagues (edited)', d === a], [b.id, 'a reply from before', d === b]])
      assert.deepEqual(moved[0]?.reactions, [{ emoji: '🎉', by: [b.id] }])
      assert.deepEqual((await d.chat.history({ conversationId: old }, {})).map((m) => m.id), moved.map((m) => m.id), 'the old id leads to the new DM')
      assert.equal((await d.chat.search({ query: 'colleagues' })).hits.length, 1, 'found once, where it moved')
    }

    // The people's DM numbers its envelopes from 1, like any conversation: nothing missing, nothing on the way.
    const next = await a.chat.send({ peerId: b.id }, 'now as colleagues')
    assert.equal(next.conversationId, conv)
    // An edit and a reaction to a moved message reach the other side's copy.
    const [movedBefore] = await all(b, conv)
    assert.ok(movedBefore !== undefined)
    await b.chat.actions.react(movedBefore.id, '👍', true)
    await a.chat.actions.edit(movedBefore.id, 'before we were colleagues (edited twice)')
    await net.until('the edit at b and the reaction at a', async () =>
      (await all(b, conv))[0]?.text === 'before we were colleagues (edited twice)' && (await all(a, conv))[0]?.reactions?.find((r) => r.emoji === '👍')?.by.includes(b.id) === true)
    await net.until('the next message at b', async () => (await all(b, conv)).some((m) => m.id === next.id))
    const answer = await b.chat.send({ conversationId: old }, 'answered from the old DM\'s view')
    assert.equal(answer.conversationId, conv)
    await net.until('the answer at a', async () => (await all(a, conv)).some((m) => m.id === answer.id))
    // The gapless marks passed both: every number below them, old DM's and new, is accounted for.
    await net.until('nothing missing on either side', async () => ((await a.record(conv))?.seen[b.id] ?? 0) >= answer.seq && ((await b.record(conv))?.seen[a.id] ?? 0) >= next.seq)
    for (const d of [a, b]) assert.deepEqual((await d.chat.conversations()).find((v) => v.id === conv)?.onTheWay, [])
    assert.deepEqual((await all(a, conv)).map((m) => m.text), ['before we were colleagues (edited twice)', 'a reply from before', 'now as colleagues', 'answered from the old DM\'s view'])
  } finally {
    await net.close()
  }
})
