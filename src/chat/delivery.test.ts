import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { createEnvelopeSigner } from './envelope-signature.js'
import { GROUP_PROTOCOL, serveGroupStream, type GroupHandlers } from './group-protocol.js'
import { createTestDevices, TEST_WORKSPACE, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId, MessageView } from '../api/contract.js'

/** Every state a message of `author` went through on `device`, in order: as added, then each update. */
function states(device: TestDevice, id: string): string[] {
  return [...device.added(), ...device.updated()].filter((v) => v.id === id).map((v) => v.state)
}

/**
 * Serves `device`'s catch-up from its cipher log as its own service does, noting what each asker
 * said it has. Nothing else of the group protocol is needed by these tests.
 */
function spyCatchUp(net: TestDevices, device: TestDevice): Array<Record<string, number>> {
  const asked: Array<Record<string, number>> = []
  const refuse = (): never => { throw new EnclaveError('bad-request', 'not served in this test') }
  const handlers: GroupHandlers = {
    catchup: async (_from, conv, have) => {
      asked.push(have)
      const envs = (await device.envelopes(conv)).filter((e) => e.seq > (have[e.author] ?? 0))
      return { envs, more: false }
    },
    keyPackage: refuse,
    deposit: refuse,
    typing: refuse,
    join: refuse,
    heads: refuse,
    browse: refuse
  }
  net.serveInstead(device, GROUP_PROTOCOL, (stream, connection) => serveGroupStream(handlers, createMemoryLogger(), stream, connection))
  return asked
}

async function channel(net: TestDevices, creator: TestDevice, members: TestDevice[]): Promise<ConversationId> {
  const view = await creator.chat.createChannel({ workspaceId: TEST_WORKSPACE, name: 'team', members: members.map((m) => m.id) })
  for (const m of members) await net.until(`${m.id} in the channel`, async () => (await m.record(view.id))?.name === 'team')
  return view.id
}

test('a direct message is pending until the recipient stores it, then delivered', async () => {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    const sent = await a.chat.send({ peerId: b.id }, 'hello')
    assert.equal(sent.state, 'pending')
    await net.until('delivered', () => a.updated().some((v) => v.id === sent.id && v.state === 'delivered'))
    assert.deepEqual(states(a, sent.id), ['pending', 'delivered'])
    const conv = a.chat.idOf({ peerId: b.id })
    const stored = await a.chat.history({ conversationId: conv }, {})
    assert.deepEqual(stored.map((v: MessageView) => [v.text, v.state]), [['hello', 'delivered']])
    await net.until('shown at the recipient', () => b.added(conv).length === 1)
    assert.equal(b.added(conv)[0]?.text, 'hello')
  } finally {
    await net.close()
  }
})

/** The newest view of one of `device`'s messages, from what it told its shells. */
function latest(device: TestDevice, id: string): MessageView | undefined {
  return [...device.added(), ...device.updated()].filter((v) => v.id === id).at(-1)
}

interface AwayFromC { net: TestDevices; a: TestDevice; b: TestDevice; c: TestDevice; conv: ConversationId; sent: MessageView }

/**
 * Three devices in a channel `a` made, `c` cut off from `a`: `a` posts `text` (it can reach `b`
 * only), then `body` runs with the post as `send` returned it; the devices are closed after.
 */
async function postAwayFromC(text: string, body: (t: AwayFromC) => Promise<void>): Promise<void> {
  const net = await createTestDevices(3)
  const [a, b, c] = net.devices
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  try {
    const conv = await channel(net, a, [b, c])
    net.link(a, c, false)
    await body({ net, a, b, c, conv, sent: await a.chat.send({ conversationId: conv }, text) })
  } finally {
    await net.close()
  }
}

test('a channel post is sent once one member stored it, and delivered only when the last one has', async () => {
  await postAwayFromC('standup at ten', async ({ net, a, c, conv, sent }) => {
    await net.until('sent', () => states(a, sent.id).includes('sent'))
    const [stored] = await a.chat.history({ conversationId: conv }, { limit: 1 })
    assert.equal(stored?.state, 'sent', 'a member away keeps it from being delivered')
    net.link(a, c, true)
    await net.until('delivered', () => states(a, sent.id).includes('delivered'))
    assert.deepEqual(states(a, sent.id), ['pending', 'sent', 'delivered'])
    assert.equal(c.added(conv).filter((v) => v.id === sent.id).length, 1)
  })
})

test('each recipient\'s acknowledgement is kept with the message, across a restart', async () => {
  await postAwayFromC('standup at ten', async ({ net, a, b, c, conv, sent }) => {
    assert.deepEqual(sent.delivery, { to: 0, of: 2, waiting: [b.id, c.id], failed: 0, mailbox: false })
    await net.until('b has it', () => latest(a, sent.id)?.delivery?.to === 1)
    assert.deepEqual(latest(a, sent.id)?.delivery?.waiting, [c.id])

    await net.restart(a)
    const [stored] = await a.chat.history({ conversationId: conv }, { limit: 1 })
    assert.equal(stored?.state, 'sent')
    assert.deepEqual(stored.delivery, { to: 1, of: 2, waiting: [c.id], failed: 0, mailbox: false })
    const info = await a.chat.messageInfo(sent.id)
    assert.deepEqual(info.recipients.map((r) => [r.device, r.state]), [[b.id, 'delivered'], [c.id, 'waiting']])
    assert.ok((info.recipients[0]?.at ?? 0) >= sent.sentAt, 'when b\'s ack arrived')
    assert.equal(info.recipients[1]?.at, null)

    net.link(a, c, true)
    await net.until('c has it too', () => latest(a, sent.id)?.state === 'delivered')
    assert.deepEqual(latest(a, sent.id)?.delivery, { to: 2, of: 2, waiting: [], failed: 0, mailbox: false })
    const [after] = await a.chat.history({ conversationId: conv }, { limit: 1 })
    assert.equal(after?.delivery?.to, 2)
  })
})

test('a copy a recipient got from someone else is not counted: only its ack to the author is', async () => {
  await postAwayFromC('hello', async ({ net, a, b, c, conv, sent }) => {
    await net.until('b has it', () => latest(a, sent.id)?.delivery?.to === 1)
    const envs = (await b.envelopes(conv, a.id)).filter((e) => e.seq === sent.seq)
    assert.equal(envs.length, 1)
    const acks = await net.deliver(c, b, envs)
    assert.deepEqual(acks, [{ author: a.id, seq: sent.seq }], 'c stored it and acknowledged b')
    await net.until('shown at c', () => c.added(conv).some((v) => v.id === sent.id))
    const info = await a.chat.messageInfo(sent.id)
    assert.deepEqual(info.recipients.map((r) => r.state), ['delivered', 'waiting'], 'c\'s ack went to b, not to the author')
    assert.equal(info.message.state, 'sent')
    net.link(a, c, true)
    await net.until('delivered once c acknowledges the author\'s own copy', () => latest(a, sent.id)?.state === 'delivered')
  })
})

test('a device removed from the channel before it got a message stops being counted', async () => {
  await postAwayFromC('before c leaves', async ({ net, a, b, c, conv, sent }) => {
    await net.until('b has it', () => latest(a, sent.id)?.delivery?.to === 1)
    assert.equal(latest(a, sent.id)?.state, 'sent')
    await a.chat.removeMember(conv, c.id)
    await net.until('delivered to everyone still there', () => latest(a, sent.id)?.state === 'delivered')
    assert.deepEqual(latest(a, sent.id)?.delivery, { to: 1, of: 1, waiting: [], failed: 0, mailbox: false })
    const info = await a.chat.messageInfo(sent.id)
    assert.deepEqual(info.recipients.map((r) => r.device), [b.id])
    const [stored] = await a.chat.history({ conversationId: conv }, { limit: 10 }).then((page) => page.filter((v) => v.id === sent.id))
    assert.equal(stored?.state, 'delivered')
  })
})

test('a message that could not be delivered in time fails, and a retry delivers it', async () => {
  const net = await createTestDevices(2, { outbox: (i) => (i === 0 ? { maxAgeMs: 600 } : {}) })
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    const first = await a.chat.send({ peerId: b.id }, 'first')
    await net.until('first delivered', () => states(a, first.id).includes('delivered'))
    net.link(a, b, false)
    const late = await a.chat.send({ peerId: b.id }, 'late')
    await net.until('failed', () => states(a, late.id).includes('failed'))
    net.link(a, b, true)
    const retried = await a.chat.retry(late.id)
    assert.equal(retried.state, 'pending')
    await net.until('delivered after the retry', () => states(a, late.id).at(-1) === 'delivered')
    assert.deepEqual(states(a, late.id), ['pending', 'failed', 'pending', 'delivered'])
    assert.deepEqual(b.added().map((v) => v.text), ['first', 'late'])
  } finally {
    await net.close()
  }
})

test('a copy held by a mailbox makes a message sent, never delivered; the recipient shows it once', async () => {
  const net = await createTestDevices(3, { mailboxes: [2] })
  const [a, b, mailbox] = net.devices
  assert.ok(a !== undefined && b !== undefined && mailbox !== undefined)
  try {
    const first = await a.chat.send({ peerId: b.id }, 'first')
    await net.until('first delivered', () => states(a, first.id).includes('delivered'))
    net.link(a, b, false)
    const viaMailbox = await a.chat.send({ peerId: b.id }, 'left at the mailbox')
    await net.until('sent', () => states(a, viaMailbox.id).includes('sent'))
    // The mailbox hands it on to the recipient; the author still has no word from the recipient.
    await net.until('shown at the recipient', () => b.added().some((v) => v.id === viaMailbox.id))
    assert.deepEqual(states(a, viaMailbox.id), ['pending', 'sent'])
    net.link(a, b, true)
    // The author's own copy now arrives too: stored and acknowledged, but not shown again.
    await net.until('delivered', () => states(a, viaMailbox.id).includes('delivered'))
    assert.equal(b.added().filter((v) => v.id === viaMailbox.id).length, 1)
    assert.deepEqual((await b.chat.history({ peerId: a.id }, {})).map((v) => v.text), ['first', 'left at the mailbox'])
  } finally {
    await net.close()
  }
})

test('each envelope of an author takes the next sequence number, and a restart reuses none', async () => {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    const conv = await channel(net, a, [b])
    await a.chat.send({ conversationId: conv }, 'one')
    await a.chat.updateChannel(conv, { topic: 'plans' })
    await a.chat.send({ conversationId: conv }, 'two')
    await b.chat.send({ conversationId: conv }, 'reply')
    const mine = await a.envelopes(conv, a.id)
    // Commit, welcome and settings when the channel was made, then a text, settings, a text.
    assert.deepEqual(mine.map((e) => e.kind), ['commit', 'welcome', 'app', 'app', 'app', 'app'])
    assert.deepEqual(mine.map((e) => e.seq), [1, 2, 3, 4, 5, 6])
    assert.deepEqual((await b.envelopes(conv, b.id)).map((e) => e.seq), [1], 'every author counts on its own')
    assert.equal((await a.record(conv))?.nextSeq, 7)

    await net.restart(a)
    const after = await a.chat.send({ conversationId: conv }, 'after the restart')
    assert.equal(after.seq, 7)
    // A reused number would be taken for a copy of an old envelope and dropped by the recipient.
    await net.until('shown at the other member', () => b.added(conv).some((v) => v.id === after.id))
    await net.until('delivered', () => states(a, after.id).includes('delivered'))
  } finally {
    await net.close()
  }
})

test('a direct message written while the peer was never reachable keeps its place in the sequence', async () => {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    net.link(a, b, false)
    const held = await a.chat.send({ peerId: b.id }, 'before we met')
    assert.equal(held.seq, 1)
    net.link(a, b, true)
    a.bus.emit('peer:ready', b.id)
    await net.until('delivered', () => states(a, held.id).includes('delivered'))
    const conv = a.chat.idOf({ peerId: b.id })
    const envs = await a.envelopes(conv, a.id)
    assert.deepEqual(envs.map((e) => [e.seq, e.kind]), [[1, 'app'], [2, 'welcome']], 'the welcome made later takes the next number')
    const next = await a.chat.send({ peerId: b.id }, 'after')
    assert.equal(next.seq, 3)
    await net.until('both shown', () => b.added(conv).length === 2)
    assert.deepEqual(b.added(conv).map((v) => v.text), ['before we met', 'after'])
    await net.until('delivered', () => states(a, next.id).includes('delivered'))
    // Both sides know nothing is missing, though the welcome went out before the held text.
    assert.equal((await a.record(conv))?.seen[a.id], next.seq)
    assert.equal((await b.record(conv))?.seen[a.id], next.seq)
  } finally {
    await net.close()
  }
})

test('catch-up asks beyond the gapless high-water mark, and the mark passes what arrived ahead of a gap', async () => {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    const conv = a.chat.idOf({ peerId: b.id })
    const first = await a.chat.send({ peerId: b.id }, 'first')
    await net.until('first delivered', () => states(a, first.id).includes('delivered'))
    // The first message keeps its number; the welcome made for the DM takes the next one.
    const welcomed = ((await a.record(conv))?.nextSeq ?? 0) - 1
    assert.deepEqual((await b.record(conv))?.seen, { [a.id]: welcomed }, 'welcome and first message, in order')

    // The author cannot reach the recipient; one later envelope gets there another way.
    net.oneWay(a, b, false)
    const gap = await a.chat.send({ peerId: b.id }, 'missed')
    const ahead = await a.chat.send({ peerId: b.id }, 'ahead of the gap')
    const last = await a.chat.send({ peerId: b.id }, 'also missed')
    const aheadEnv = (await a.envelopes(conv, a.id)).find((e) => e.seq === ahead.seq)
    assert.ok(aheadEnv !== undefined)
    const asked = spyCatchUp(net, a)
    await net.deliver(b, a, [aheadEnv])
    // The later envelope proves the gap (its author signed the later number): b asks whoever
    // handed it over at once, beyond its mark, which stopped below the gap. No reconnect needed.
    await net.until('the gap filled by catch-up', () => b.added(conv).length === 4)
    assert.deepEqual(asked, [{ [a.id]: welcomed }])
    assert.deepEqual(b.added(conv).map((v) => v.text), ['first', 'ahead of the gap', 'missed', 'also missed'])
    assert.deepEqual((await b.chat.history({ conversationId: conv }, {})).map((v) => v.id), [first.id, gap.id, ahead.id, last.id])
    // Nothing is missing up to the last envelope: the next catch-up must not fetch them all again.
    assert.equal((await b.record(conv))?.seen[a.id], last.seq)
  } finally {
    await net.close()
  }
})

test('a member who joined later asks beyond all it has after its first catch-up', async () => {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  try {
    const conv = await channel(net, a, [b])
    const sent = await a.chat.send({ conversationId: conv }, 'welcome aboard')
    await net.until('delivered', () => states(a, sent.id).includes('delivered'))
    // The commit that added this member went out before it had the conversation: the first
    // envelope it got lies beyond a gap, so it caught up with the sender at once.
    await net.until('the mark past everything', async () => (await b.record(conv))?.seen[a.id] === sent.seq)
    const asked = spyCatchUp(net, a)
    b.bus.emit('peer:ready', a.id)
    await net.until('asked again', () => asked.length === 1)
    assert.deepEqual(asked, [{ [a.id]: sent.seq }], 'nothing of the channel is fetched again')
    assert.equal(b.added(conv).length, 1)
  } finally {
    await net.close()
  }
})

test('a device that joins a channel with history gets one envelope per author from before it joined, and opens none of them', async () => {
  const net = await createTestDevices(3)
  const [a, b, c] = net.devices
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  try {
    const conv = await channel(net, a, [b])
    for (let i = 0; i < 20; i++) {
      await a.chat.send({ conversationId: conv }, `a ${i}`)
      await b.chat.send({ conversationId: conv }, `b ${i}`)
    }
    await net.until('both have all forty', () => a.added(conv).length === 40 && b.added(conv).length === 40)
    await a.chat.addMembers(conv, [c.id])
    await net.until('c in the channel', async () => (await c.record(conv))?.status === 'active')
    const joinedEpoch = (await c.record(conv))?.joinedEpoch
    assert.ok(joinedEpoch !== undefined && joinedEpoch >= 2, 'the epoch of its welcome')
    // Its marks pass everything written before it joined, without fetching or opening it.
    const before = { [a.id]: (await a.record(conv))?.nextSeq ?? 0, [b.id]: (await b.record(conv))?.nextSeq ?? 0 }
    await net.until('c past what a and b wrote before', async () => {
      const seen = (await c.record(conv))?.seen ?? {}
      return (seen[a.id] ?? 0) >= (before[a.id] ?? 0) - 1 && (seen[b.id] ?? 0) >= 20
    })
    // Of the 40 posts, the commit and the meta from before, one per author came (the newest).
    const skipped = c.lines.filter((l) => l.msg === 'skipped envelopes from before this device joined').reduce((n, l) => n + Number(l.n), 0)
    assert.ok(skipped >= 1 && skipped <= 2, `${skipped} envelopes from before the join reached c`)
    assert.deepEqual(c.warnings('dropped an envelope'), [], 'nothing from before was tried')
    assert.deepEqual((await c.record(conv))?.broken ?? {}, {})
    assert.ok((await c.envelopes(conv)).every((e) => e.epoch >= joinedEpoch), 'nothing from before is stored')
    // What is written after the join arrives as usual.
    await b.chat.send({ conversationId: conv }, 'hello c')
    await net.until('c reads it', () => c.added(conv).some((v) => v.text === 'hello c'))
    assert.deepEqual(c.added(conv).map((v) => v.text), ['hello c'])
  } finally {
    await net.close()
  }
})

test('a member signing an envelope "from before" a newcomer joined skips only its own messages there, never another\'s', async () => {
  const net = await createTestDevices(3)
  const [a, b, c] = net.devices
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  try {
    const conv = await channel(net, a, [b])
    await a.chat.addMembers(conv, [c.id])
    await net.until('c in the channel', async () => (await c.record(conv))?.status === 'active')
    // Hostile b, straight to c: its own envelope of epoch 0 far ahead, and one in a's name.
    const signAsB = createEnvelopeSigner(b.key)
    const mls = new Uint8Array(64).fill(7)
    const own = signAsB({ v: 3, conv, author: b.id, seq: 1_000_000, kind: 'app', epoch: 0, mls })
    const inA = signAsB({ v: 3, conv, author: a.id, seq: 1_000_000, kind: 'app', epoch: 0, mls })
    const acks = await net.deliver(c, b, [own, inA])
    assert.deepEqual(acks, [{ author: b.id, seq: 1_000_000 }], 'the one in a\'s name fails a\'s signature and is not taken')
    // A later post of a's still reaches c: a's numbers were not skipped.
    await a.chat.send({ conversationId: conv }, 'after the trick')
    await net.until('c reads a\'s post', () => c.added(conv).some((v) => v.text === 'after the trick'))
    const seen = (await c.record(conv))?.seen ?? {}
    assert.equal(seen[b.id], 1_000_000, 'b skipped its own numbers only')
    assert.ok((seen[a.id] ?? 0) < 1_000, `a's mark stays its own: ${seen[a.id]}`)
    assert.ok((await c.envelopes(conv)).every((e) => e.seq < 1_000_000), 'nothing of the trick is stored')
  } finally {
    await net.close()
  }
})
