import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { createMemoryLogger } from '../logger.js'
import { cborFrame } from '../net/frame-io.js'
import { probeServer } from '../fuzz-streams.js'
import { GROUP_PROTOCOL, serveGroupStream, type GroupHandlers } from './group-protocol.js'
import { channelTrio, createTestDevices, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId, OnTheWay } from '../api/contract.js'

async function trio(): Promise<{ net: TestDevices; a: TestDevice; b: TestDevice; c: TestDevice; conv: ConversationId }> {
  const { net, a, b, c, conv } = await channelTrio()
  // What the group said before a member's welcome is fetched once it joined: nothing on the way after.
  const held = async (d: TestDevice): Promise<number> => (await d.record(conv))?.seen[a.id] ?? 0
  await net.until('members caught up', async () => await held(b) === await held(a) && await held(c) === await held(a) && [b, c].every((d) => d.lastView(conv)?.onTheWay.length === 0))
  return { net, a, b, c, conv }
}

/** Every "on the way" the shells of `device` were shown for `conv`, in order. */
function shown(device: TestDevice, conv: ConversationId): OnTheWay[][] {
  return device.events.flatMap((e) => (e.name === 'conversations.changed' && e.payload.id === conv ? [e.payload.onTheWay] : []))
}

/** `from` tells `to` it holds `author`'s envelopes up to `upTo`, as a member's device would. */
async function tellHeads(net: TestDevices, from: TestDevice, to: TestDevice, conv: ConversationId, author: string, upTo: number): Promise<unknown[]> {
  const handler = net.handlerOf(to, GROUP_PROTOCOL)
  assert.ok(handler !== undefined)
  const probe = await probeServer((s, c) => Promise.resolve(handler(s, c)), peerIdFromString(from.id), cborFrame({ t: 'heads', convs: [{ conv, heads: { [author]: upTo } }] }))
  return probe.frames
}

test('a post that reached one member reaches another through that member\'s copy, shown on the way until then', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    // a and c cannot reach each other at all; b reaches both.
    net.oneWay(a, c, false)
    net.oneWay(c, a, false)
    const before = shown(c, conv).length
    const sent = await a.chat.send({ conversationId: conv }, 'only b can pass this on')
    await net.until('b has it', () => b.added(conv).some((m) => m.id === sent.id))
    await net.until('c has it through b', () => c.added(conv).some((m) => m.id === sent.id))
    const told = shown(c, conv).slice(before).find((w) => w.length > 0)
    assert.deepEqual(told, [{ author: a.id, count: 1, from: [b.id] }], 'c said one envelope of a was on the way from b')
    assert.deepEqual(c.lastView(conv)?.onTheWay, [], 'nothing on the way once it arrived')
  } finally {
    await net.close()
  }
})

test('a member that says it holds envelopes it does not serve is shown, then not believed again', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    // b claims 50 of a's envelopes c lacks, and serves none of them.
    const handlers: Partial<GroupHandlers> = { catchup: () => Promise.resolve({ envs: [], more: false }) }
    net.serveInstead(b, GROUP_PROTOCOL, (stream, connection) => serveGroupStream(handlers as GroupHandlers, createMemoryLogger(), stream, connection))
    const seen = (await c.record(conv))?.seen[a.id] ?? 0
    assert.deepEqual(await tellHeads(net, b, c, conv, a.id, seen + 50), [{ t: 'ok' }])
    await net.until('the claim shown', () => shown(c, conv).some((w) => w.some((x) => x.author === a.id && x.count === 50)))
    await net.until('the claim dropped after b served nothing', () => c.lastView(conv)?.onTheWay.length === 0)
    assert.ok(c.lines.some((l) => l.msg === 'a member said it held envelopes it did not serve' && l.peer === b.id))
    const views = shown(c, conv).length
    await tellHeads(net, b, c, conv, a.id, seen + 50)
    // Witness: a real message of a arrives after the repeated claim was read.
    const real = await a.chat.send({ conversationId: conv }, 'real')
    await net.until('c has the real message', () => c.added(conv).some((m) => m.id === real.id))
    assert.ok(shown(c, conv).slice(views).every((w) => w.length === 0), 'the same claim is not shown again')
  } finally {
    await net.close()
  }
})

test('heads from a device outside the conversation, or about a device outside it, are not believed', async () => {
  const { net, a, b, c, conv } = await trio()
  const outsider = await createTestDevices(1)
  try {
    const stranger = outsider.devices[0]
    assert.ok(stranger !== undefined)
    const seen = (await c.record(conv))?.seen[a.id] ?? 0
    await tellHeads(net, b, c, conv, stranger.id, 10)
    await tellHeads(net, stranger, c, conv, a.id, seen + 10)
    // Witness: a real message of a arrives after both were read.
    const real = await a.chat.send({ conversationId: conv }, 'witness')
    await net.until('c has the witness', () => c.added(conv).some((m) => m.id === real.id))
    assert.ok(shown(c, conv).every((w) => w.every((x) => x.author !== stranger.id && !x.from.includes(stranger.id))), 'nothing the stranger said, nor about it, was shown')
  } finally {
    await outsider.close()
    await net.close()
  }
})
